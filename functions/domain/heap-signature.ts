/**
 * Heap's webhook signature: `Heap-Hash: ts:<timestamp>,hmac:<digest>` where digest is
 * HMAC-SHA256(secret, `<timestamp><raw body>`). Heap's reference code sends the digest in base64
 * and the timestamp in milliseconds; hex digests and second timestamps are accepted too. The HMAC
 * is computed over the body exactly as received — re-serialised JSON would not match.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface HeapHash {
  /** The timestamp exactly as sent: it is part of the signed message. */
  readonly ts: string;
  /** The timestamp in epoch ms (second timestamps are scaled). */
  readonly tsMs: number;
  /** The presented digest, decoded (32 bytes). */
  readonly digest: Buffer;
}

/** Epoch values above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const MS_THRESHOLD = 100_000_000_000;
const DIGEST_BYTES = 32;

const decodeDigest = (text: string): Buffer | undefined => {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  // Standard or URL-safe base64, padding optional (44 chars padded, 43 without).
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== DIGEST_BYTES) return undefined;
  // The 43rd character carries 2 unused bits: only the spelling with them zero is a digest's encoding.
  return bytes.toString('base64url') === text.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_') ? bytes : undefined;
};

/** Parses the header; undefined when it is missing or malformed in any way. */
export const parseHeapHash = (header: string | undefined): HeapHash | undefined => {
  if (!header || header.length > 512) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) return undefined;
    const name = part.slice(0, colon).trim().toLowerCase();
    if (fields.has(name)) return undefined;
    fields.set(name, part.slice(colon + 1).trim());
  }
  const ts = fields.get('ts');
  const hmac = fields.get('hmac');
  if (ts === undefined || hmac === undefined || !/^[0-9]{1,16}$/.test(ts)) return undefined;
  const digest = decodeDigest(hmac);
  if (!digest) return undefined;
  const value = Number(ts);
  return { ts, tsMs: value >= MS_THRESHOLD ? value : value * 1000, digest };
};

export type SignatureCheck = { ok: true; tsMs: number } | { ok: false; reason: 'malformed' | 'stale' | 'future' | 'mismatch' };

export interface FreshnessWindow {
  /** How old a timestamp may be, seconds. */
  readonly pastSeconds: number;
  /** How far ahead of our clock a timestamp may be, seconds (clock skew). */
  readonly futureSeconds: number;
}

/** Header parse + freshness, before any secret is needed (cheap refusals first). */
export const checkHeapHashHeader = (
  header: string | undefined,
  nowMs: number,
  window: FreshnessWindow,
): { ok: true; hash: HeapHash } | { ok: false; reason: 'malformed' | 'stale' | 'future' } => {
  const hash = parseHeapHash(header);
  if (!hash) return { ok: false, reason: 'malformed' };
  if (nowMs - hash.tsMs > window.pastSeconds * 1000) return { ok: false, reason: 'stale' };
  if (hash.tsMs - nowMs > window.futureSeconds * 1000) return { ok: false, reason: 'future' };
  return { ok: true, hash };
};

/** HMAC-SHA256 of `<ts><raw body>`, raw bytes. */
export const heapDigest = (secret: string, ts: string, rawBody: string): Buffer =>
  createHmac('sha256', secret).update(ts, 'utf8').update(rawBody, 'utf8').digest();

/** Constant-time comparison of the presented digest with ours (both 32 bytes by construction). */
export const digestMatches = (hash: HeapHash, secret: string, rawBody: string): boolean => {
  const expected = heapDigest(secret, hash.ts, rawBody);
  return hash.digest.length === expected.length && timingSafeEqual(hash.digest, expected);
};

/** Full check: header, freshness, digest. */
export const verifyHeapSignature = (
  input: { header: string | undefined; rawBody: string; secret: string; nowMs: number },
  window: FreshnessWindow,
): SignatureCheck => {
  const header = checkHeapHashHeader(input.header, input.nowMs, window);
  if (!header.ok) return header;
  return digestMatches(header.hash, input.secret, input.rawBody) ? { ok: true, tsMs: header.hash.tsMs } : { ok: false, reason: 'mismatch' };
};

/** Signs a body the way Heap does (tests, the local bench, and the docs' curl example). */
export const signHeapBody = (secret: string, rawBody: string, ts: number | string, encoding: 'base64' | 'hex' = 'base64'): string =>
  `ts:${ts},hmac:${heapDigest(secret, String(ts), rawBody).toString(encoding)}`;
