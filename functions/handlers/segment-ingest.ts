/**
 * POST /segment/audiences/{workspaceId} — Segment Engage audiences (Webhooks (Actions) destination):
 * routes in http/segment.ts, mapping in domain/segment-audiences.ts; the cohort worker applies them.
 */
import { queuePublisher } from '../adapters/queue-publisher';
import { sqsSender } from '../adapters/sqs-sender';
import { workspaceStore } from '../adapters/stores';
import { systemClock, type QueuePublisher } from '../domain/ports';
import { queueUrl, settings } from '../shared/config';
import { observeConnection } from './http/connection-log';
import { httpRouter } from '../shared/router';
import { segmentRoutes } from './http/segment';

let publisher: QueuePublisher | undefined;
const cohortImportQueue = (): QueuePublisher => (publisher ??= queuePublisher(sqsSender(), queueUrl('cohortImport')));

export const handler = httpRouter('segmentIngest', segmentRoutes(cohortImportQueue, workspaceStore), {
  maxBodyBytes: settings().MAX_BODY_BYTES,
  clock: systemClock,
  observe: observeConnection('segment', (request, workspace) => workspace?.workspaceId ?? request.pathParameters.workspaceId),
});
