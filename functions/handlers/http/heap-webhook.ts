/**
 * POST /heap/segments/{workspaceId} — Heap's segment-sync webhook, in Heap's convention: 200 once
 * the page is durably queued (or a verified body the hub cannot use is kept in the rejects store);
 * 400 for a missing or malformed Heap-Hash (as Heap's reference receiver); 403 for any other
 * authentication failure (which one is logged, never told); 503 + Retry-After when the queue did not
 * take the whole page, so Heap retries it.
 */
import { authenticateHeapWebhook, type HeapAuthOutcome, type Verified } from '../../domain/heap-webhook-auth';
import { receiveHeapWebhook, type HeapWebhookDeps, type HeapWebhookResult } from '../../domain/heap-webhook';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { json, refusal, type HttpResponse } from '../../shared/http';
import { logger } from '../../shared/powertools';
import type { Authenticator, RouteHandlers } from '../../shared/router';
import { messageTooLarge, queueUnavailable } from './responses';

const HEADER_MISSING = 'Expected "heap-hash" in the header';
const HEADER_MALFORMED = 'Improperly formatted "heap-hash" header';

/** 403 for every authentication failure, with one message; the reason goes to the log only. */
const forbidden = (workspaceId: string | undefined, reason: string): HttpResponse => {
  logger.warn('heap webhook refused', { workspaceId, reason });
  return refusal(403, 'Forbidden');
};

/** A refused authentication as Heap's reference receiver answers it. */
export const heapAuthRefusal = (outcome: Extract<HeapAuthOutcome, { ok: false }>, workspaceId: string | undefined): HttpResponse => {
  if (outcome.refusal === 'forbidden') return forbidden(workspaceId, outcome.reason);
  return refusal(400, outcome.refusal === 'missing-header' ? HEADER_MISSING : HEADER_MALFORMED);
};

/** Heap-Hash middleware (the `heapHash` presentation of `heapWebhookSecret`). */
export const heapHashAuth =
  (deps: () => HeapWebhookDeps): Authenticator<Verified> =>
  async (request) => {
    const workspaceId = request.pathParameters.workspaceId;
    const outcome = await authenticateHeapWebhook(deps(), { workspaceId, hashHeader: request.headers['heap-hash'], rawBody: request.rawBody });
    return outcome.ok ? { ok: true, auth: outcome.verified } : { ok: false, response: heapAuthRefusal(outcome, workspaceId) };
  };

const queuedBody = (result: Extract<HeapWebhookResult, { outcome: 'queued' }>) =>
  result.action === 'segment.users.sync'
    ? { status: 'queued', segment_id: result.segmentId, page_number: result.pageNumber, total_pages: result.totalPages, adds: result.adds, removes: result.removes, invalid_ids: result.invalidIds }
    : { status: 'queued', segment_id: result.segmentId, action_type: result.action };

/** A verified delivery's outcome as Heap's answer, logged (never its body). */
export const heapWebhookResponse = (workspaceId: string, result: HeapWebhookResult): HttpResponse => {
  switch (result.outcome) {
    case 'rejected':
      // Answered 200: Heap would retry a 400 forever; the delivery is kept with its reason.
      logger.warn('heap webhook body rejected', { workspaceId, reason: result.reason });
      return json(200, { status: 'rejected', reason: result.reason });
    case 'ignored':
      logger.info('heap webhook action ignored', { workspaceId, action: result.action });
      return json(200, { status: 'ignored', action_type: result.action });
    case 'refused':
      return forbidden(workspaceId, result.reason);
    case 'unavailable':
      return queueUnavailable(result.publish);
    case 'too-large':
      return messageTooLarge();
    case 'queued':
      logger.info('heap webhook queued', { workspaceId, ...result });
      return json(200, queuedBody(result));
  }
};

export const heapWebhookRoutes = (deps: () => HeapWebhookDeps): RouteHandlers<Verified, RouteKeyOf<'heapWebhook'>> => ({
  authenticate: { heapHash: heapHashAuth(deps) },
  routes: {
    'POST /heap/segments/{workspaceId}': async (request, verified) => {
      const result = await receiveHeapWebhook(deps(), verified, { rawBody: request.rawBody, receivedAt: request.receivedAt });
      return heapWebhookResponse(verified.workspace.workspaceId, result);
    },
  },
});
