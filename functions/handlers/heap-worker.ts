/**
 * heapSync worker: applies Heap segment pages and drains to the membership tables. Each message is
 * processed once per `dedupeKey` (Powertools idempotency, 7 days: longer than Heap retries a page),
 * and every change is version-guarded, so replays and late pages change nothing.
 */
import { dynamoClient } from '../adapters/dynamo-client';
import { sqsSender } from '../adapters/sqs-sender';
import { deliveryRequests, heapSegmentStore, membershipStore } from '../adapters/stores';
import { applyHeapMessage, type HeapWorkerDeps } from '../domain/heap-segments';
import { systemClock } from '../domain/ports';
import { heapSyncMessageSchema } from '../schemas/heap';
import { enqueueAll } from '../shared/enqueue';
import { queueUrl } from '../shared/config';
import { logger } from '../shared/powertools';
import { sqsWorker } from '../shared/sqs-worker';

let deps: HeapWorkerDeps | undefined;

const dependencies = (): HeapWorkerDeps => {
  deps ??= {
    membership: membershipStore(),
    segments: heapSegmentStore(),
    requeue: (body) => enqueueAll(sqsSender(), queueUrl('heapSync'), [body]),
    deliveries: deliveryRequests(),
    clock: systemClock,
  };
  return deps;
};

export const handler = sqsWorker({
  idempotencyClient: dynamoClient,
  queue: 'heapSync',
  schema: heapSyncMessageSchema,
  idempotencySeconds: 7 * 24 * 3600,
  process: async (message) => {
    const result = await applyHeapMessage(dependencies(), message);
    logger.info('heap segment message applied', {
      workspaceId: message.workspaceId,
      segmentId: message.segmentId,
      type: message.type,
      syncTaskId: message.syncTaskId,
      pageNumber: message.pageNumber,
      part: message.part,
      ...result,
    });
  },
});
