/**
 * What the hub does with each answer of an AB Tasty call (token grant or UDC upload): success,
 * one token refresh on a 401, a retry after a backoff for 429 / 5xx / timeouts / unreachable, or a
 * recorded failure for any other 4xx. Pure: the delay is computed, the caller sleeps. The change
 * webhook (change-webhook-delivery.ts) reads Retry-After and backs off with the same functions.
 */

/** How an HTTP call to AB Tasty ended, as the adapters report it (they never throw for a status). */
export type HttpOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly message: string; readonly retryAfter?: string }
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

export type Verdict = 'success' | 'refresh-token' | 'retry' | 'fail';

/** 429, 5xx, a timeout or no connection: worth another try. Other 4xx: AB Tasty refused this request. */
export const verdictOf = (outcome: HttpOutcome): Verdict => {
  if (outcome.kind !== 'answered') return 'retry';
  const { status } = outcome;
  if (status >= 200 && status < 300) return 'success';
  if (status === 401) return 'refresh-token';
  if (status === 429 || status >= 500) return 'retry';
  return 'fail';
};

export interface RetryPolicy {
  /** Upload attempts in one delivery, the first included (a 401 refresh adds one more). */
  readonly maxAttempts: number;
  /** First backoff ceiling; doubles per retry (full jitter draws in [0, ceiling)). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this ends the delivery as `exhausted` (the queue retries it later). */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, maxRetryAfterMs: 300_000 };

/**
 * `Retry-After` in milliseconds from `nowMs`: delta-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`); a date in the past is 0. Undefined when absent or unreadable.
 */
export const parseRetryAfter = (header: string | undefined, nowMs: number): number | undefined => {
  const text = header?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
};

/**
 * Full-jitter exponential backoff: a uniform draw in [0, min(maxDelay, base × 2^(retry − 1))),
 * where `retry` is 1 before the second attempt. `random` returns [0, 1).
 */
export const backoffMs = (retry: number, policy: RetryPolicy, random: () => number): number =>
  Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1)));

export type RetryStep = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: 'attempts' | 'retry-after' };

/**
 * After a retryable outcome of attempt `attempt`: wait and retry, or stop. The wait honours
 * Retry-After (never shorter than it asks) and otherwise is the jittered backoff.
 */
export const nextRetry = (outcome: HttpOutcome, attempt: number, policy: RetryPolicy, nowMs: number, random: () => number): RetryStep => {
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts' };
  const asked = outcome.kind === 'answered' ? parseRetryAfter(outcome.retryAfter, nowMs) : undefined;
  if (asked !== undefined && asked > policy.maxRetryAfterMs) return { retry: false, reason: 'retry-after' };
  return { retry: true, delayMs: Math.max(asked ?? 0, backoffMs(attempt, policy, random)) };
};

/** The HTTP status of an outcome; null for a timeout or no connection. */
export const statusOf = (outcome: HttpOutcome): number | null => (outcome.kind === 'answered' ? outcome.status : null);
