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

/** Counts the request; throws a 429 with `Retry-After` and `X-RateLimit-*` when over the limit. */
export const enforceRateLimit = async (limiter: RateLimiter, workspaceId: string, nowMs: number): Promise<Record<string, string>> => {
  const decision = await limiter.hit(workspaceId, nowMs);
  const headers = rateLimitHeaders(decision);
  if (!decision.allowed) {
    throw new RateLimitedError(Math.max(1, decision.resetAt - Math.floor(nowMs / 1000)), headers);
  }
  return headers;
};
