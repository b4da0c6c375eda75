/**
 * Domain outcomes as HTTP answers, shared by the handlers: the hub's own read APIs (`invalid` →
 * 400, `not-found` → 404, `{ message, errors? }`), a queue that did not take a request (503 +
 * Retry-After), a message that cannot fit a queue message (413), and the read routes that check
 * `?limit=` before anything else.
 */
import type { Outcome, Refusal } from '../../domain/outcomes';
import type { PublishOutcome } from '../../domain/ports';
import { PAGE_LIMIT_MESSAGE, pageLimit } from '../../shared/cursor';
import { MAX_MESSAGE_BYTES } from '../../shared/definitions/queues';
import { PayloadTooLargeError, QueueUnavailableError } from '../../shared/errors';
import { json, refusal, refusalOf, type HttpRequest, type HttpResponse } from '../../shared/http';
import type { RouteFn } from '../../shared/router';
import type { WorkspaceRecord } from '../../schemas/workspace';
import { UNAUTHORIZED } from './auth';

/** A read API refusal. */
export const refused = (outcome: Refusal): HttpResponse =>
  outcome.refused === 'invalid' ? refusal(400, outcome.message, { errors: outcome.errors ?? [] }) : refusal(404, outcome.message);

/** A read API answer: the value (JSON 200 unless `render` says otherwise), or the refusal. */
export const answer = <T>(outcome: Outcome<T>, render: (value: T) => HttpResponse = (value) => json(200, value)): HttpResponse =>
  outcome.ok ? render(outcome.value) : refused(outcome);

/** 503 + Retry-After: the queue did not take the whole request (the message says whether part of it was queued). */
export const queueUnavailable = (outcome: Extract<PublishOutcome, { ok: false }>, headers: Readonly<Record<string, string>> = {}): HttpResponse => {
  const response = refusalOf(new QueueUnavailableError(5, outcome));
  return { ...response, headers: { ...headers, ...response.headers } };
};

/** 413: one item of the request is larger than a queue message. */
export const messageTooLarge = (headers: Readonly<Record<string, string>> = {}): HttpResponse => {
  const response = refusalOf(new PayloadTooLargeError(MAX_MESSAGE_BYTES));
  return { ...response, headers: { ...headers, ...response.headers } };
};

/** The refusals every bearer-authenticated ingest route shares (Currents, Segment audiences). */
export type IngestRefusal =
  | { readonly kind: 'wrong-workspace' }
  | { readonly kind: 'invalid'; readonly refusal: Refusal }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'unavailable'; readonly publish: Extract<PublishOutcome, { ok: false }> };

/**
 * An ingest refusal as HTTP: 401 for a path or `?workspace=` naming another workspace (the same
 * answer as a wrong token, so it tells nothing), 400 with the reason, 413, or 503 + Retry-After.
 */
export const ingestRefusal = (outcome: IngestRefusal): HttpResponse => {
  switch (outcome.kind) {
    case 'wrong-workspace':
      return refusal(401, UNAUTHORIZED);
    case 'invalid':
      return refused(outcome.refusal);
    case 'too-large':
      return messageTooLarge();
    case 'unavailable':
      return queueUnavailable(outcome.publish);
  }
};

/** The page size of `?limit=` (default 100, at most 1,000), or the 400 to answer. */
export const limitOf = (request: HttpRequest): { ok: true; limit: number } | { ok: false; response: HttpResponse } => {
  const limit = pageLimit(request.query.limit, 100, 1000);
  return limit === undefined ? { ok: false, response: refusal(400, PAGE_LIMIT_MESSAGE) } : { ok: true, limit };
};

/** A read route of a bearer API: `?limit=` checked first, then `read`'s outcome is the answer. */
export const pagedRoute =
  <T>(read: (request: HttpRequest, workspace: WorkspaceRecord, limit: number) => Promise<Outcome<T>>): RouteFn<WorkspaceRecord> =>
  async (request, workspace) => {
    const limit = limitOf(request);
    return limit.ok ? answer(await read(request, workspace, limit.limit)) : limit.response;
  };
