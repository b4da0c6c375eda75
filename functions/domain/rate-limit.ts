/**
 * Per-workspace request rate limit for the partner import routes, Braze style: a fixed window
 * (Braze: 250,000 requests per hour). The decision goes with every answer (the handler shows it as
 * `X-RateLimit-*` headers, and a refusal as 429 + Retry-After).
 */
import type { RateLimitDecision } from './ports';

export interface RateLimitSettings {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Start and end (epoch seconds) of the fixed window containing `nowMs`. */
export const rateWindow = (nowMs: number, windowSeconds: number): { start: number; end: number } => {
  const start = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
};

/** Seconds until a refused workspace may send again (at least 1). */
export const retryAfterSeconds = (decision: RateLimitDecision, nowMs: number): number => Math.max(1, decision.resetAt - Math.floor(nowMs / 1000));
