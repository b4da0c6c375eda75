/**
 * POST /partners/{partner}/cohorts and POST /partners/{partner}/cohorts/users — Braze-compatible
 * partner cohort import. Thin: authenticate, validate and queue (routes in http/cohort-import.ts,
 * logic in domain/cohort-ingest.ts); the matching worker does the DynamoDB work.
 */
import { dynamoDocumentClient } from '../adapters/dynamo-client';
import { queuePublisher } from '../adapters/queue-publisher';
import { dynamoRateLimiter } from '../adapters/rate-limiter';
import { sqsSender } from '../adapters/sqs-sender';
import { workspaceStore } from '../adapters/stores';
import type { IngestDeps } from '../domain/cohort-ingest';
import { systemClock } from '../domain/ports';
import { queueUrl, settings as runtimeSettings, tableName } from '../shared/config';
import { observeConnection } from './http/connection-log';
import { httpRouter } from '../shared/router';
import { cohortImportRoutes } from './http/cohort-import';
import { processSigningKeys } from './http/signing';

const settings = runtimeSettings();

let deps: IngestDeps | undefined;
const ingestDeps = (): IngestDeps =>
  (deps ??= {
    publisher: queuePublisher(sqsSender(), queueUrl('cohortImport')),
    limiter: dynamoRateLimiter(dynamoDocumentClient(), tableName('idempotency'), {
      limit: settings.COHORT_IMPORT_RATE_LIMIT,
      windowSeconds: settings.COHORT_IMPORT_RATE_WINDOW_SECONDS,
    }),
    signingKeys: processSigningKeys(),
  });

export const handler = httpRouter('cohortIngest', cohortImportRoutes(ingestDeps, workspaceStore), {
  maxBodyBytes: settings.COHORT_IMPORT_MAX_BODY_BYTES,
  clock: systemClock,
  // A refusal names no workspace here (the data import key picks it): only accepted requests are recorded.
  observe: observeConnection('brazeCohortImport', (_request, caller) => caller?.workspace.workspaceId),
});
