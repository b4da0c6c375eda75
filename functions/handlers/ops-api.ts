/**
 * Operations reads for the console (Bearer workspace `apiKey`): GET /v1/connections (domain
 * `listConnections`) and GET /v1/queues (domain `queueDepths`).
 */
import { dynamoConnectionLog } from '../adapters/connection-log';
import { dynamoDocumentClient } from '../adapters/dynamo-client';
import { sqsQueueDepths } from '../adapters/queue-depths';
import { sqsClient } from '../adapters/sqs-sender';
import { workspaceStore } from '../adapters/stores';
import { listConnections, queueDepths } from '../domain/operations';
import { systemClock } from '../domain/ports';
import type { WorkspaceRecord } from '../schemas/workspace';
import { tableName } from '../shared/config';
import { httpRouter } from '../shared/router';
import { bearerAuth } from './http/auth';
import { answer } from './http/responses';

export const handler = httpRouter<'opsApi', WorkspaceRecord>('opsApi', {
  authenticate: { bearer: bearerAuth(workspaceStore) },
  routes: {
    'GET /v1/connections': async (_request, workspace) => answer(await listConnections(dynamoConnectionLog(dynamoDocumentClient(), tableName('idempotency')), workspace)),
    'GET /v1/queues': async () => answer(await queueDepths(sqsQueueDepths(sqsClient()))),
  },
}, { clock: systemClock });
