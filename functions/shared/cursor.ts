/**
 * Opaque, tamper-evident pagination cursors: the DynamoDB LastEvaluatedKey, base64url-encoded and
 * signed with HMAC-SHA256 under a key bound to the workspace and the route. A cursor from another
 * workspace, another route, or edited by hand fails verification and is refused with 400.
 *
 * Only the canonical encoding of a signature is accepted: 16 bytes take 22 base64url characters
 * whose last one carries 4 unused bits, so several spellings decode to the same bytes. A spelling
 * that does not re-encode to itself is refused before the MAC is compared (in constant time).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequestError } from './errors';

/** Signing key: per workspace (its stored apiKey hash, never shown to callers) and per route. */
export interface CursorScope {
  readonly secret: string;
  readonly route: string;
}

const sign = (scope: CursorScope, payload: string): Buffer =>
  createHmac('sha256', scope.secret).update(`${scope.route}\n${payload}`).digest().subarray(0, 16);

export const encodeCursor = (scope: CursorScope, key: Record<string, unknown> | undefined): string | undefined => {
  if (!key) return undefined;
  const payload = Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
  return `${payload}.${sign(scope, payload).toString('base64url')}`;
};

export const decodeCursor = (scope: CursorScope, cursor: string | undefined): Record<string, unknown> | undefined => {
  if (cursor === undefined || cursor === '') return undefined;
  const [payload, signature, extra] = cursor.split('.');
  if (!payload || !signature || extra !== undefined || cursor.length > 4096) throw new BadRequestError('Invalid cursor');
  const expected = sign(scope, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.toString('base64url') !== signature) throw new BadRequestError('Invalid cursor');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BadRequestError('Invalid cursor');
  try {
    const key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new Error('not an object');
    return key as Record<string, unknown>;
  } catch {
    throw new BadRequestError('Invalid cursor');
  }
};

/** Page size from a `limit` query parameter: default, capped, and a clear 400 when not a number. */
export const pageLimit = (raw: string | undefined, fallback = 100, max = 1000): number => {
  if (raw === undefined || raw === '') return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) throw new BadRequestError('limit must be a positive integer');
  return Math.min(limit, max);
};
