/**
 * POST /partners/{partner}/cohorts and POST /partners/{partner}/cohorts/users — Braze-compatible
 * partner cohort import. Thin: authenticate, validate and queue (domain/cohort-ingest.ts); the
 * matching worker does the DynamoDB work.
 */
import { sqsSender } from '../adapters/sqs-sender';
import { rateLimiter, workspaceStore } from '../adapters/stores';
import { acceptCohortChanges, acceptCohortUpsert, type IngestDeps } from '../domain/cohort-ingest';
import { cohortImportSettingsSchema } from '../schemas/cohort-import';
import { queueUrl } from '../shared/config';
import { httpHandler, json } from '../shared/http';

const settings = cohortImportSettingsSchema.parse(process.env);

let deps: IngestDeps | undefined;
const ingestDeps = (): IngestDeps =>
  (deps ??= {
    store: workspaceStore(),
    sender: sqsSender(),
    queueUrl: queueUrl('cohortImport'),
    limiter: rateLimiter({
      limit: settings.COHORT_IMPORT_RATE_LIMIT,
      windowSeconds: settings.COHORT_IMPORT_RATE_WINDOW_SECONDS,
    }),
  });

export const handler = httpHandler(
  'cohortIngest',
  async (request) => {
    const input = { partner: request.pathParameters.partner ?? '', rawBody: request.rawBody, receivedAt: request.receivedAt };
    const accept = /\/cohorts\/users\/?$/.test(request.path) ? acceptCohortChanges : acceptCohortUpsert;
    const result = await accept(ingestDeps(), input);
    return json(result.status, result.body, result.headers);
  },
  { maxBodyBytes: settings.COHORT_IMPORT_MAX_BODY_BYTES },
);
