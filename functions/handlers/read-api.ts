/**
 * The hub's read API (Bearer workspace `apiKey`): GET /v1/cohorts, /v1/cohorts/{cohortId}/members,
 * /v1/cohorts/{cohortId}/imports/{importId}, /v1/users, /v1/destinations/abtasty/deliveries,
 * /v1/destinations/webhook/deliveries and
 * /v1/directory/imports. Read-only; routes in http/read-api.ts, logic in domain/cohort-reads.ts,
 * domain/abtasty-deliveries.ts, domain/change-webhook-reads.ts and domain/directory-import-reports.ts.
 */
import { deliveryReports, directoryImportReports, directoryStoreFor, importReports, profileReader, setReads, webhookDeliveries, workspaceStore } from '../adapters/stores';
import type { ReadDeps } from '../domain/cohort-reads';
import { systemClock } from '../domain/ports';
import { httpRouter } from '../shared/router';
import { readApiRoutes } from './http/read-api';
import { cursorCodec, processSigningKeys } from './http/signing';

let deps: ReadDeps | undefined;
const readDeps = (): ReadDeps =>
  (deps ??= {
    sets: setReads(),
    reports: importReports(),
    profiles: profileReader(),
    claims: directoryStoreFor(),
    cursors: cursorCodec(),
    signingKeys: processSigningKeys(),
    deliveries: deliveryReports(),
    webhookDeliveries: webhookDeliveries(),
  });

export const handler = httpRouter(
  'readApi',
  readApiRoutes(readDeps, workspaceStore, () => ({ directoryImports: directoryImportReports(), cursors: cursorCodec() })),
  { clock: systemClock },
);
