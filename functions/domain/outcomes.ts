/**
 * What a domain function answers when it refuses a request: a typed outcome, never an HTTP status.
 * Handlers map these to each partner's convention (for the hub's own read APIs: `invalid` → 400,
 * `not-found` → 404, with `message` and `errors` as the caller's body).
 */
export type Refusal =
  | { readonly ok: false; readonly refused: 'invalid'; readonly message: string; readonly errors?: readonly string[] }
  | { readonly ok: false; readonly refused: 'not-found'; readonly message: string };

export type Outcome<T> = { readonly ok: true; readonly value: T } | Refusal;

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const invalid = (message: string, errors?: readonly string[]): Refusal => ({ ok: false, refused: 'invalid', message, ...(errors ? { errors } : {}) });

export const notFound = (message: string): Refusal => ({ ok: false, refused: 'not-found', message });

export const INVALID_CURSOR = 'Invalid cursor';
