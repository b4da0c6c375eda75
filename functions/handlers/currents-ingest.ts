/** POST /currents — Braze Currents "Custom HTTP" connector: routes in http/currents.ts, logic in domain/currents-ingest.ts. */
import { queuePublisher } from '../adapters/queue-publisher';
import { sqsSender } from '../adapters/sqs-sender';
import { workspaceStore } from '../adapters/stores';
import { systemClock, type QueuePublisher } from '../domain/ports';
import { queueUrl, settings } from '../shared/config';
import { observeConnection } from './http/connection-log';
import { httpRouter } from '../shared/router';
import { currentsRoutes } from './http/currents';

let publisher: QueuePublisher | undefined;
const currentsQueue = (): QueuePublisher => (publisher ??= queuePublisher(sqsSender(), queueUrl('currents')));

export const handler = httpRouter('currentsIngest', currentsRoutes(currentsQueue, workspaceStore), {
  maxBodyBytes: settings().MAX_BODY_BYTES,
  clock: systemClock,
  observe: observeConnection('currents', (request, workspace) => workspace?.workspaceId ?? request.query.workspace),
});
