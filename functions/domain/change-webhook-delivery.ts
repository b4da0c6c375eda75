/**
 * The change webhook's delivering side (docs/events.md, "Signed webhook"): the worker hands a FIFO
 * batch of queue messages, in order; consecutive messages of one workspace are joined into POSTs of
 * at most `MAX_CHANGES_PER_POST` changes, `{"events":[detail…]}`, signed
 * `X-Hub-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 *
 * A POST is retried inside the invocation on 408, 429, 5xx and no answer (full-jitter backoff,
 * `Retry-After` honoured up to `MAX_RETRY_AFTER_MS`), within `POST_BUDGET_MS`. Once a POST did not
 * arrive, it and every later message of the batch fail (FIFO order: SQS redelivers them after the
 * visibility timeout; the DLQ after `maxReceiveCount`). A non-retryable 4xx (`rejected`) is not
 * retried here either, but fails its messages the same way: the receiver's fix (or a DLQ redrive)
 * gets them through, and nothing is dropped silently. Every POST is recorded in the report.
 */
import { createHmac } from 'node:crypto';
import type { ChangeWebhookMessageBody, WebhookAttempt, WebhookDelivery } from '../schemas/change-webhook';
import { backoffMs as jitteredBackoff, parseRetryAfter, type RetryPolicy } from './abtasty-retry';
import { changeWebhookSecret } from './change-webhook-config';
import { isoNow, type RetryTiming, type SecretBox, type WebhookAnswer, type WebhookDeliveryStore, type WebhookPoster, type WorkspaceStore } from './ports';

/** Changes per POST at most (about 1.5 KB each: well under a megabyte of body). */
export const MAX_CHANGES_PER_POST = 500;
/** Tries of one POST inside an invocation. */
export const MAX_TRIES = 5;
/** Backoff before try n+1: uniform in [0, min(CAP, BASE × 2^n)] ("full jitter"). */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 8_000;
/** A longer `Retry-After` is not waited for: the message fails and SQS retries it later. */
export const MAX_RETRY_AFTER_MS = 10_000;
/** Time one POST may spend with its retries before its messages fail. */
export const POST_BUDGET_MS = 30_000;
export const SIGNATURE_HEADER = 'X-Hub-Signature';

/** The signature header value for a body sent at `timestampSeconds`. */
export const signatureHeader = (secret: string, timestampSeconds: number, body: string): string =>
  `t=${timestampSeconds},v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;

export type AttemptVerdict = 'success' | 'retry' | 'reject';

/** What an answer means: 2xx delivered; 408, 429, 5xx or none (null) worth retrying; any other status rejected. */
export const verdictOf = (status: number | null): AttemptVerdict => {
  if (status === null || status === 408 || status === 429 || status >= 500) return 'retry';
  return status >= 200 && status < 300 ? 'success' : 'reject';
};

/** The webhook's retry limits, in the shape the AB Tasty calls use (same backoff and Retry-After reading). */
export const WEBHOOK_RETRY_POLICY: RetryPolicy = { maxAttempts: MAX_TRIES, baseDelayMs: BACKOFF_BASE_MS, maxDelayMs: BACKOFF_CAP_MS, maxRetryAfterMs: MAX_RETRY_AFTER_MS };

/** The wait before try `attempt + 1` (attempt ≥ 1), or undefined when the receiver asks for longer than we wait. */
export const backoffMs = (attempt: number, random: () => number, retryAfter?: number): number | undefined => {
  if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) return undefined;
  return Math.max(jitteredBackoff(attempt + 1, WEBHOOK_RETRY_POLICY, random), retryAfter ?? 0);
};

/** Consecutive messages of one workspace joined, up to `maxChanges` changes per POST; each POST knows its message indexes. */
export const postsOf = (messages: readonly ChangeWebhookMessageBody[], maxChanges = MAX_CHANGES_PER_POST): { workspaceId: string; indexes: number[]; events: ChangeWebhookMessageBody['events'] }[] => {
  const posts: { workspaceId: string; indexes: number[]; events: ChangeWebhookMessageBody['events'] }[] = [];
  messages.forEach((message, index) => {
    const last = posts.at(-1);
    if (last && last.workspaceId === message.workspaceId && last.events.length + message.events.length <= maxChanges) {
      last.indexes.push(index);
      last.events = [...last.events, ...message.events];
    } else posts.push({ workspaceId: message.workspaceId, indexes: [index], events: [...message.events] });
  });
  return posts;
};

export interface WebhookDeliveryDeps extends RetryTiming {
  readonly workspaces: Pick<WorkspaceStore, 'get'>;
  readonly secrets: SecretBox;
  readonly poster: WebhookPoster;
  readonly reports: WebhookDeliveryStore;
  readonly newId: () => string;
}

interface TryResult {
  readonly outcome: WebhookDelivery['outcome'];
  readonly attempts: WebhookAttempt[];
}

const answerOf = async (poster: WebhookPoster, url: string, body: string, headers: Record<string, string>): Promise<WebhookAnswer | { error: string }> =>
  poster.post(url, body, headers).catch((error: unknown) => ({ error: (error as Error).name === 'TimeoutError' ? 'timeout' : 'no answer' }));

/** POSTs one body with its retries (each try signed afresh); never throws for the receiver's sake. */
const postWithRetries = async (deps: WebhookDeliveryDeps, url: string, secret: string, body: string): Promise<TryResult> => {
  const attempts: WebhookAttempt[] = [];
  const giveUpAt = deps.clock.now() + POST_BUDGET_MS;
  for (let attempt = 1; ; attempt += 1) {
    const headers = { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(deps.clock.now() / 1000), body) };
    const answer = await answerOf(deps.poster, url, body, headers);
    const status = 'status' in answer ? answer.status : null;
    attempts.push({ at: isoNow(deps.clock), status, ...('error' in answer ? { error: answer.error } : {}) });
    const verdict = verdictOf(status);
    if (verdict === 'success') return { outcome: 'delivered', attempts };
    if (verdict === 'reject') return { outcome: 'rejected', attempts };
    const wait = attempt < MAX_TRIES ? backoffMs(attempt, deps.random, parseRetryAfter('retryAfter' in answer ? answer.retryAfter : undefined, deps.clock.now())) : undefined;
    if (wait === undefined || deps.clock.now() + wait >= giveUpAt) return { outcome: 'exhausted', attempts };
    await deps.sleep(wait);
  }
};

/** A sortable delivery id: start time first, so newest first is a reverse key order. */
const deliveryIdOf = (deps: WebhookDeliveryDeps): string => `${String(deps.clock.now()).padStart(15, '0')}-${deps.newId()}`;

/** Delivers one POST's changes to the workspace's webhook and records it; undefined when the workspace has no enabled webhook (nothing to send). */
export const deliverPost = async (deps: WebhookDeliveryDeps, post: { workspaceId: string; events: ChangeWebhookMessageBody['events'] }): Promise<WebhookDelivery | undefined> => {
  const workspace = await deps.workspaces.get(post.workspaceId);
  const webhook = workspace?.changeWebhook;
  if (!webhook?.enabled) return undefined;
  const secret = await changeWebhookSecret(deps.secrets, post.workspaceId, webhook);
  const startedAt = isoNow(deps.clock);
  const deliveryId = deliveryIdOf(deps);
  const result = await postWithRetries(deps, webhook.url, secret, JSON.stringify({ events: post.events }));
  const delivery: WebhookDelivery = {
    deliveryId,
    startedAt,
    finishedAt: isoNow(deps.clock),
    outcome: result.outcome,
    changes: post.events.length,
    firstEventId: post.events[0]?.event_id ?? '',
    lastEventId: post.events.at(-1)?.event_id ?? '',
    attempts: result.attempts,
  };
  await deps.reports.put(post.workspaceId, delivery);
  return delivery;
};

export interface BatchOutcome {
  /** Indexes of the messages to retry: the first that did not arrive and every later one (FIFO). */
  readonly failed: number[];
  readonly deliveries: WebhookDelivery[];
  /** Changes of workspaces without an enabled webhook (dropped: the webhook was removed or disabled since). */
  readonly dropped: number;
  /** Why the batch stopped when it was not the receiver (a store or secret failure), for the logs. */
  readonly error?: string;
}

/**
 * Delivers a FIFO batch in order. `startNoLaterThan`: a POST that could not finish within the
 * invocation is not started (its messages fail and come back). A thrown error (store, secret) fails
 * the current POST and every later message, like a failed POST.
 */
export const deliverBatch = async (deps: WebhookDeliveryDeps, messages: readonly ChangeWebhookMessageBody[], startNoLaterThan = Number.POSITIVE_INFINITY): Promise<BatchOutcome> => {
  const deliveries: WebhookDelivery[] = [];
  let dropped = 0;
  for (const post of postsOf(messages)) {
    const firstIndex = post.indexes[0] ?? 0;
    const failRest = (error?: string): BatchOutcome => ({ failed: messages.map((_, i) => i).filter((i) => i >= firstIndex), deliveries, dropped, ...(error ? { error } : {}) });
    if (deps.clock.now() > startNoLaterThan) return failRest('out of time for another POST');
    const delivery = await deliverPost(deps, post).catch((error: unknown) => ({ error: (error as Error).message }));
    if (delivery !== undefined && 'error' in delivery) return failRest(delivery.error);
    if (delivery === undefined) {
      dropped += post.events.length;
      continue;
    }
    deliveries.push(delivery);
    if (delivery.outcome !== 'delivered') return failRest();
  }
  return { failed: [], deliveries, dropped };
};
