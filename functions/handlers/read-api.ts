/**
 * The hub's read API (Bearer workspace `apiKey`): GET /v1/cohorts, /v1/cohorts/{cohortId}/members,
 * /v1/cohorts/{cohortId}/imports/{importId} and /v1/users. Read-only; routes in http/read-api.ts,
 * logic in domain/cohort-reads.ts.
 */
import { dynamoDocumentClient } from '../adapters/dynamo-client';
import { dynamoImportReports } from '../adapters/import-reports';
import { dynamoProfileReader } from '../adapters/profile-reader';
import { directoryStoreFor, membershipReadStore, workspaceStore } from '../adapters/stores';
import type { ReadDeps } from '../domain/cohort-reads';
import { tableName } from '../shared/config';
import { signedCursors } from '../shared/cursor';
import { httpRouter } from '../shared/router';
import { readApiRoutes } from './http/read-api';

let deps: ReadDeps | undefined;
const readDeps = (): ReadDeps =>
  (deps ??= {
    sets: membershipReadStore(),
    reports: dynamoImportReports(dynamoDocumentClient(), tableName('cohorts')),
    profiles: dynamoProfileReader(dynamoDocumentClient(), tableName('users')),
    claims: directoryStoreFor(),
    cursors: signedCursors,
  });

export const handler = httpRouter('readApi', readApiRoutes(readDeps, workspaceStore));
