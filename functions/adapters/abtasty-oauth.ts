/**
 * AB Tasty public API tokens (OAuth client-credentials grant): `POST {tokenUrl}` with the JSON body
 * `{client_id, client_secret, grant_type: "client_credentials"}` answers `{access_token, expires_in}`.
 * A token is cached per (token URL, client id) in module scope, so every invocation of a warm
 * function reuses it until shortly before it expires; concurrent callers share one grant; a token
 * AB Tasty answered 401 to is replaced once. Neither the token nor the secret is ever logged.
 */
import { systemClock } from '../domain/ports';
import { logger } from '../shared/powertools';
import type { TokenProvider, TokenResult } from '../domain/abtasty-delivery';
import { abTastyTokenAnswerSchema } from '../schemas/abtasty-oauth';
import { abTastyUrls, answeredOutcome, failureOutcome, redact } from './abtasty-http';

interface CachedToken {
  readonly token: string;
  readonly refreshAt: number;
}

/** Warm-container caches, shared by every provider built for the same key. */
const cache = new Map<string, CachedToken>();
const grantsInFlight = new Map<string, Promise<TokenResult>>();
const MAX_CACHED = 500;

/** Test hook: forget every cached token (a cold start). */
export const forgetAbTastyTokens = (): void => {
  cache.clear();
  grantsInFlight.clear();
};

/** Used when an answer has no `expires_in` (AB Tasty documents 43,200 s; a shorter guess is safe). */
export const DEFAULT_LIFETIME_SECONDS = 3600;

/** Refresh this long before expiry: 5 minutes, or a tenth of a short lifetime. */
export const refreshMarginMs = (lifetimeMs: number): number => Math.min(300_000, lifetimeMs / 10);

export interface AbTastyTokenOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default: `ABTASTY_TOKEN_URL`, else AB Tasty's documented URL. */
  readonly tokenUrl?: string;
  readonly timeoutMs?: number;
  /** Epoch ms; default the system clock. */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const grant = async (options: AbTastyTokenOptions, tokenUrl: string, key: string): Promise<TokenResult> => {
  const now = options.now ?? (() => systemClock.now());
  const secrets = [options.clientSecret];
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ client_id: options.clientId, client_secret: options.clientSecret, grant_type: 'client_credentials' }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (!response.ok) {
      const outcome = await answeredOutcome(response, secrets);
      logger.warn('AB Tasty token grant refused', { status: response.status, tokenUrl });
      return { kind: 'failed', outcome };
    }
    const parsed = abTastyTokenAnswerSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      // A 200 without a token is AB Tasty's fault and may pass: reported as a bad gateway (retried).
      return { kind: 'failed', outcome: { kind: 'answered', status: 502, message: `token answer (HTTP ${response.status}) without access_token` } };
    }
    const lifetimeMs = (parsed.data.expires_in ?? DEFAULT_LIFETIME_SECONDS) * 1000;
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, { token: parsed.data.access_token, refreshAt: now() + lifetimeMs - refreshMarginMs(lifetimeMs) });
    logger.debug('AB Tasty token granted', { tokenUrl, expiresInSeconds: lifetimeMs / 1000 });
    return { kind: 'token', token: parsed.data.access_token };
  } catch (error) {
    const outcome = failureOutcome(error, secrets);
    logger.warn('AB Tasty token grant failed', { tokenUrl, outcome: outcome.kind, message: redact(outcome.message, secrets) });
    return { kind: 'failed', outcome };
  }
};

/** The token provider for one AB Tasty public API client. */
export const abTastyTokenProvider = (options: AbTastyTokenOptions): TokenProvider => {
  const tokenUrl = options.tokenUrl ?? abTastyUrls().tokenUrl;
  const key = `${tokenUrl}\n${options.clientId}`;
  const now = options.now ?? (() => systemClock.now());
  const fresh = (): CachedToken | undefined => {
    const entry = cache.get(key);
    return entry && now() < entry.refreshAt ? entry : undefined;
  };
  const grantOnce = (): Promise<TokenResult> => {
    let pending = grantsInFlight.get(key);
    if (!pending) {
      pending = grant(options, tokenUrl, key).finally(() => grantsInFlight.delete(key));
      grantsInFlight.set(key, pending);
    }
    return pending;
  };
  return {
    token: () => {
      const entry = fresh();
      return entry ? Promise.resolve({ kind: 'token', token: entry.token }) : grantOnce();
    },
    refresh: (rejected) => {
      const entry = fresh();
      // Another invocation already replaced the rejected token: use its replacement.
      if (entry && entry.token !== rejected) return Promise.resolve({ kind: 'token', token: entry.token });
      if (cache.get(key)?.token === rejected) cache.delete(key);
      return grantOnce();
    },
  };
};
