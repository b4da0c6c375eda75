/** POST /heap/segments/{workspaceId} — Heap's segment-sync webhook: routes in http/heap-webhook.ts, logic in domain/heap-webhook*.ts. */
import { dynamoDocumentClient } from '../adapters/dynamo-client';
import { dynamoHeapPageLog } from '../adapters/heap-page-log';
import { dynamoHeapRejects } from '../adapters/heap-rejects';
import { queuePublisher } from '../adapters/queue-publisher';
import { configuredSecretBox } from '../adapters/secret-box';
import { sqsSender } from '../adapters/sqs-sender';
import { workspaceStore } from '../adapters/stores';
import { cachedHeapSecrets } from '../domain/heap-webhook-auth';
import type { HeapWebhookDeps } from '../domain/heap-webhook';
import { systemClock } from '../domain/ports';
import { queueUrl, settings, tableName } from '../shared/config';
import { observeConnection } from './http/connection-log';
import { httpRouter } from '../shared/router';
import { heapWebhookRoutes } from './http/heap-webhook';

let deps: HeapWebhookDeps | undefined;

const dependencies = (): HeapWebhookDeps =>
  (deps ??= {
    workspaces: workspaceStore(),
    secretOf: cachedHeapSecrets(configuredSecretBox(), systemClock),
    publisher: queuePublisher(sqsSender(), queueUrl('heapSync')),
    window: { pastSeconds: settings().HEAP_TIMESTAMP_TOLERANCE_SECONDS, futureSeconds: settings().HEAP_FUTURE_TOLERANCE_SECONDS },
    clock: systemClock,
    firstReceivedAt: dynamoHeapPageLog(dynamoDocumentClient(), tableName('idempotency')),
    recordReject: (reject) => dynamoHeapRejects(dynamoDocumentClient(), tableName('events')).put(reject),
  });

// A Heap page of 10,000 ids is a few hundred KB; the cap is the Lambda payload limit.
export const handler = httpRouter('heapWebhook', heapWebhookRoutes(dependencies), {
  maxBodyBytes: settings().MAX_BODY_BYTES,
  clock: systemClock,
  observe: observeConnection('heap', (request, verified) => verified?.workspace.workspaceId ?? request.pathParameters.workspaceId),
});
