import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { parseHeapHash, signHeapBody, verifyHeapSignature } from '../../functions/domain/heap-signature';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'heap', name), 'utf8');
const SECRET = 'hub_heap_test-secret';
const NOW = 1_764_000_000_000; // ms
const WINDOW = { pastSeconds: 300, futureSeconds: 60 };
const verify = (header: string | undefined, rawBody: string, secret = SECRET, nowMs = NOW) =>
  verifyHeapSignature({ header, rawBody, secret, nowMs }, WINDOW);

describe('Heap-Hash verification', () => {
  const body = fixture('sync-page-1.json');

  it('accepts a base64 digest over a millisecond timestamp, as Heap\'s reference code signs', () => {
    // Arrange: computed independently of the module under test
    const digest = createHmac('sha256', SECRET).update(`${NOW}${body}`).digest('base64');

    // Act
    const result = verify(`ts:${NOW},hmac:${digest}`, body);

    // Assert
    expect(result).toEqual({ ok: true, tsMs: NOW });
  });

  it('accepts a hex digest over a seconds timestamp', () => {
    const ts = Math.floor(NOW / 1000) - 10;
    const digest = createHmac('sha256', SECRET).update(`${ts}${body}`).digest('hex');

    expect(verify(`ts:${ts},hmac:${digest}`, body)).toEqual({ ok: true, tsMs: ts * 1000 });
  });

  it('accepts an uppercase hex digest, unpadded or URL-safe base64, and fields in any order with spaces', () => {
    const digest = createHmac('sha256', SECRET).update(`${NOW}${body}`).digest();

    expect(verify(`ts:${NOW},hmac:${digest.toString('hex').toUpperCase()}`, body).ok).toBe(true);
    expect(verify(`ts:${NOW},hmac:${digest.toString('base64url')}`, body).ok).toBe(true);
    expect(verify(`hmac:${digest.toString('base64')} , ts:${NOW}`, body).ok).toBe(true);
  });

  it('refuses a timestamp older than the window as stale, in ms and in s', () => {
    const staleMs = NOW - 301_000;
    const staleS = Math.floor(staleMs / 1000);

    expect(verify(signHeapBody(SECRET, body, staleMs), body)).toEqual({ ok: false, reason: 'stale' });
    expect(verify(signHeapBody(SECRET, body, staleS, 'hex'), body)).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a timestamp further in the future than the skew allowance', () => {
    expect(verify(signHeapBody(SECRET, body, NOW + 61_000), body)).toEqual({ ok: false, reason: 'future' });
    expect(verify(signHeapBody(SECRET, body, NOW + 59_000), body).ok).toBe(true);
  });

  it('refuses a tampered body, even one that is the same JSON re-serialised', () => {
    const header = signHeapBody(SECRET, body, NOW);
    const tampered = body.replace('visitor-02', 'visitor-99');
    const reserialised = JSON.stringify(JSON.parse(body));

    expect(verify(header, tampered)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(header, reserialised)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a digest made with another secret', () => {
    expect(verify(signHeapBody('another-secret', body, NOW), body)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a digest whose timestamp was changed after signing', () => {
    const header = signHeapBody(SECRET, body, NOW);

    expect(verify(header.replace(`ts:${NOW}`, `ts:${NOW - 1000}`), body)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([
    ['missing header', undefined],
    ['empty header', ''],
    ['no hmac', `ts:${NOW}`],
    ['no ts', 'hmac:' + 'a'.repeat(64)],
    ['non-numeric ts', 'ts:yesterday,hmac:' + 'a'.repeat(64)],
    ['negative ts', `ts:-${NOW},hmac:` + 'a'.repeat(64)],
    ['short hex', `ts:${NOW},hmac:` + 'a'.repeat(63)],
    ['digest of the wrong length', `ts:${NOW},hmac:${Buffer.alloc(20).toString('base64')}`],
    ['not base64', `ts:${NOW},hmac:` + '!'.repeat(44)],
    ['duplicate ts', `ts:${NOW},ts:${NOW},hmac:` + 'a'.repeat(64)],
    ['no separator', `ts${NOW}hmac` + 'a'.repeat(64)],
    ['a sha256= style header', 'sha256=' + 'a'.repeat(64)],
  ])('refuses a malformed header: %s', (_name, header) => {
    expect(parseHeapHash(header)).toBeUndefined();
    expect(verify(header, body)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a base64 digest re-spelled in its unused bits (same bytes, not the canonical encoding)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const digest = createHmac('sha256', SECRET).update(`${NOW}${body}`).digest('base64');
    // 32 bytes = 256 bits in 43 characters (258 bits) + '=': the 43rd character's 2 low bits are unused.
    const last = alphabet.indexOf(digest.charAt(42));
    const variants = [1, 2, 3].map((bits) => `${digest.slice(0, 42)}${alphabet[last ^ bits]}=`);

    expect(verify(`ts:${NOW},hmac:${digest}`, body).ok).toBe(true);
    for (const variant of variants) {
      expect(Buffer.from(variant, 'base64')).toEqual(Buffer.from(digest, 'base64'));
      expect(verify(`ts:${NOW},hmac:${variant}`, body).ok).toBe(false);
      expect(verify(`ts:${NOW},hmac:${variant.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_')}`, body).ok).toBe(false);
    }
  });
});
