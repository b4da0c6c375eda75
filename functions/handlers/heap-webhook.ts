/**
 * POST /heap/segments/{workspaceId} — Heap's segment-sync webhook. 200 once the page is durably
 * queued (or a verified body the hub cannot use is kept in the rejects store); 400 for a missing or
 * malformed Heap-Hash; 403 for any other authentication failure (which one is logged, never told);
 * 503 + Retry-After when the queue did not take the whole page, so Heap retries it.
 */
import { configuredSecretBox } from '../adapters/secret-box';
import { sqsSender } from '../adapters/sqs-sender';
import { heapPageLog, heapRejects, workspaceStore } from '../adapters/stores';
import { cachedHeapSecrets, HeapWebhookRefused, receiveHeapWebhook, type HeapWebhookDeps } from '../domain/heap-webhook';
import { queueUrl, settings } from '../shared/config';
import { httpHandler, json } from '../shared/http';
import { logger } from '../shared/powertools';

let deps: HeapWebhookDeps | undefined;

const dependencies = (): HeapWebhookDeps => {
  deps ??= {
    workspaces: workspaceStore(),
    secretOf: cachedHeapSecrets(configuredSecretBox()),
    sender: sqsSender(),
    queueUrl: queueUrl('heapSync'),
    window: { pastSeconds: settings().HEAP_TIMESTAMP_TOLERANCE_SECONDS, futureSeconds: settings().HEAP_FUTURE_TOLERANCE_SECONDS },
    now: Date.now,
    firstReceivedAt: heapPageLog(),
    recordReject: (reject) => heapRejects().put(reject),
  };
  return deps;
};


export const handler = httpHandler(
  'heapWebhook',
  async (request) => {
    const workspaceId = request.pathParameters.workspaceId;
    try {
      const result = await receiveHeapWebhook(dependencies(), {
        workspaceId,
        hashHeader: request.headers['heap-hash'],
        rawBody: request.rawBody,
        receivedAt: request.receivedAt,
      });
      if (result.outcome === 'rejected') {
        // Answered 200: Heap would retry a 400 forever; the delivery is kept with its reason.
        logger.warn('heap webhook body rejected', { workspaceId, reason: result.reason });
        return json(200, { status: 'rejected', reason: result.reason });
      }
      if (result.outcome === 'ignored') {
        logger.info('heap webhook action ignored', { workspaceId, action: result.action });
        return json(200, { status: 'ignored', action_type: result.action });
      }
      logger.info('heap webhook queued', { workspaceId, ...result });
      return json(200, result.action === 'segment.users.sync'
        ? {
            status: 'queued',
            segment_id: result.segmentId,
            page_number: result.pageNumber,
            total_pages: result.totalPages,
            adds: result.adds,
            removes: result.removes,
            invalid_ids: result.invalidIds,
          }
        : { status: 'queued', segment_id: result.segmentId, action_type: result.action });
    } catch (error) {
      if (error instanceof HeapWebhookRefused) logger.warn('heap webhook refused', { workspaceId, reason: error.reason });
      throw error;
    }
  },
  // A Heap page of 10,000 ids is a few hundred KB; the cap is the Lambda payload limit.
  { maxBodyBytes: settings().MAX_BODY_BYTES },
);
