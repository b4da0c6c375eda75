/**
 * Opaque, tamper-evident pagination cursors: the DynamoDB LastEvaluatedKey, base64url-encoded and
 * signed with HMAC-SHA256 under a key bound to the workspace and the route. A cursor from another
 * workspace, another route, or edited by hand fails verification (the read APIs answer 400).
 *
 * Only the canonical encoding of a signature is accepted: 16 bytes take 22 base64url characters
 * whose last one carries 4 unused bits, so several spellings decode to the same bytes. A spelling
 * that does not re-encode to itself is refused before the MAC is compared (in constant time).
 *
 * `signedCursors` implements the domain's `CursorCodec` port (domain/ports.ts) for all read APIs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WorkspaceRecord } from '../schemas/workspace';
import { parseJsonObject } from './json';

/** Signing key: per workspace (its random signing key, never shown to callers) and per route. */
export interface CursorScope {
  readonly secret: string;
  readonly route: string;
}

/** A decoded cursor: the page key (undefined when no cursor was given), or `ok: false` when it does not verify. */
export type DecodedCursor = { readonly ok: true; readonly key: Record<string, unknown> | undefined } | { readonly ok: false };

const sign = (scope: CursorScope, payload: string): Buffer =>
  createHmac('sha256', scope.secret).update(`${scope.route}\n${payload}`).digest().subarray(0, 16);

export const encodeCursor = (scope: CursorScope, key: Record<string, unknown> | undefined): string | undefined => {
  if (!key) return undefined;
  const payload = Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
  return `${payload}.${sign(scope, payload).toString('base64url')}`;
};

const INVALID: DecodedCursor = { ok: false };

const parsePayload = (payload: string): DecodedCursor => {
  const key = parseJsonObject(Buffer.from(payload, 'base64url').toString('utf8'));
  return key.ok ? { ok: true, key: key.value } : INVALID;
};

export const decodeCursor = (scope: CursorScope, cursor: string | undefined): DecodedCursor => {
  if (cursor === undefined || cursor === '') return { ok: true, key: undefined };
  const [payload, signature, extra] = cursor.split('.');
  if (!payload || !signature || extra !== undefined || cursor.length > 4096) return INVALID;
  const expected = sign(scope, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.toString('base64url') !== signature) return INVALID;
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return INVALID;
  return parsePayload(payload);
};

/**
 * HMAC-signed cursors, scoped per workspace and route (the `CursorCodec` of every read API). The key
 * is the workspace's cursor secret, from its random signing key (domain/signing-keys.ts, passed in
 * by the handler: shared code does not import the domain).
 */
export const signedCursors = (cursorSecret: (workspace: WorkspaceRecord) => Promise<string>) => ({
  encode: async (workspace: WorkspaceRecord, route: string, key: Record<string, unknown> | undefined): Promise<string | undefined> =>
    encodeCursor({ secret: await cursorSecret(workspace), route }, key),
  decode: async (workspace: WorkspaceRecord, route: string, cursor: string | undefined): Promise<DecodedCursor> =>
    decodeCursor({ secret: await cursorSecret(workspace), route }, cursor),
});

export const PAGE_LIMIT_MESSAGE = 'limit must be a positive integer';

/** Page size from a `limit` query parameter: default, capped; undefined when it is not a positive integer. */
export const pageLimit = (raw: string | undefined, fallback = 100, max = 1000): number | undefined => {
  if (raw === undefined || raw === '') return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) return undefined;
  return Math.min(limit, max);
};
