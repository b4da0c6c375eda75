/**
 * Per-workspace request rate limit for the partner import routes, Braze style: a fixed window
 * (Braze: 250,000 requests per hour), `X-RateLimit-*` headers on every answer, 429 when exceeded.
 */
import { RateLimitedError } from '../shared/errors';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** When the current window ends, epoch seconds (Braze's `X-RateLimit-Reset`). */
  readonly resetAt: number;
}

/** Port: counts one request of a workspace in the window containing `nowMs`. */
export interface RateLimiter {
  hit(workspaceId: string, nowMs: number): Promise<RateLimitDecision>;
}

export interface RateLimitSettings {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Start and end (epoch seconds) of the fixed window containing `nowMs`. */
export const rateWindow = (nowMs: number, windowSeconds: number): { start: number; end: number } => {
  const start = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
};

export const rateLimitHeaders = (decision: RateLimitDecision): Record<string, string> => ({
  'X-RateLimit-Limit': String(decision.limit),
  'X-RateLimit-Remaining': String(decision.remaining),
  'X-RateLimit-Reset': String(decision.resetAt),
});

/** What counting one request decided: go on (with the headers every answer carries), or refuse until the window ends. */
export type RateLimitOutcome =
  | { readonly allowed: true; readonly headers: Record<string, string> }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly headers: Record<string, string> };

/** Counts the request of a workspace and says whether it is within the limit. */
export const countRequest = async (limiter: RateLimiter, workspaceId: string, nowMs: number): Promise<RateLimitOutcome> => {
  const decision = await limiter.hit(workspaceId, nowMs);
  const headers = rateLimitHeaders(decision);
  if (decision.allowed) return { allowed: true, headers };
  return { allowed: false, retryAfterSeconds: Math.max(1, decision.resetAt - Math.floor(nowMs / 1000)), headers };
};

/**
 * Counts the request; throws a 429 with `Retry-After` and `X-RateLimit-*` when over the limit.
 * @deprecated HTTP mapping inside the domain: once domain/cohort-ingest.ts returns typed refusals
 * (route work), its handler maps `countRequest`'s refusal to 429 and this goes, with this file's
 * import of shared/errors.
 */
export const enforceRateLimit = async (limiter: RateLimiter, workspaceId: string, nowMs: number): Promise<Record<string, string>> => {
  const outcome = await countRequest(limiter, workspaceId, nowMs);
  if (!outcome.allowed) throw new RateLimitedError(outcome.retryAfterSeconds, outcome.headers);
  return outcome.headers;
};
