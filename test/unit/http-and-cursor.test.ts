import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError, QueueUnavailableError, UnauthorizedError } from '../../functions/shared/errors';
import { httpHandler, json } from '../../functions/shared/http';
import { logger } from '../../functions/shared/powertools';
import { decodeCursor, encodeCursor, pageLimit } from '../../functions/shared/cursor';
import { identifierKey } from '../../functions/domain/identifiers';
import { checkHealth } from '../../functions/domain/health';
import { constantTimeEqual } from '../../functions/shared/crypto';
import { issueImportId, verifyImportId } from '../../functions/domain/import-ids';

/** The injected clock (the events below carry API Gateway's receive time, except where a test removes it). */
const options = { clock: { now: () => 1_764_000_000_000 } };

const event = (body: string | null, extra: Partial<APIGatewayProxyEvent> = {}) =>
  ({ httpMethod: 'POST', path: '/x', headers: { 'Content-Type': 'application/json' }, body, isBase64Encoded: false, requestContext: { requestTimeEpoch: 1 }, ...extra }) as unknown as APIGatewayProxyEvent;

describe('http wrapper', () => {
  it('renders a HubError as {message, errors} with its status and headers', async () => {
    const handler = httpHandler('t', () => Promise.reject(new BadRequestError('`cohort_id` must be a valid string', ['detail'])), options);

    const result = await handler(event('{}'));

    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toEqual({ message: '`cohort_id` must be a valid string', errors: ['detail'] });
  });

  it('adds Retry-After to a 503 and hides unexpected errors behind a bare 500', async () => {
    const unavailable = await httpHandler('t', () => Promise.reject(new QueueUnavailableError(7)), options)(event('{}'));
    const crashed = await httpHandler('t', () => Promise.reject(new Error('secret detail')), options)(event('{}'));

    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers?.['Retry-After']).toBe('7');
    expect(crashed.statusCode).toBe(500);
    expect(crashed.body).not.toContain('secret detail');
  });

  it('logs a 5xx refusal at ERROR with its detail, and keeps the detail out of the response', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const failure = new QueueUnavailableError(5, { queued: 1, total: 3, cause: new Error('socket hang up') });

    const result = await httpHandler('t', () => Promise.reject(failure), options)(event('{}'));

    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ message: failure.message });
    expect(result.body).not.toContain('socket hang up');
    expect(logged).toHaveBeenCalledWith('request refused', expect.objectContaining({ status: 503, queuedMessages: 1, messages: 3, cause: { name: 'Error', message: 'socket hang up' } }));
    logged.mockRestore();
  });

  it('answers 413 before running the route when the body exceeds the limit', async () => {
    let ran = false;
    const handler = httpHandler('t', () => {
      ran = true;
      return Promise.resolve(json(200, {}));
    }, { ...options, maxBodyBytes: 10 });

    const result = await handler(event('x'.repeat(11)));

    expect(result.statusCode).toBe(413);
    expect(ran).toBe(false);
  });

  it('gives the route the raw body, decoding base64 from API Gateway, and lower-case headers', async () => {
    let seen: { body: string; header?: string } | undefined;
    const handler = httpHandler('t', (request) => {
      seen = { body: request.rawBody, header: request.headers['heap-hash'] };
      return Promise.resolve(json(200, {}));
    }, options);

    await handler(event(Buffer.from('{"a": 1}').toString('base64'), { isBase64Encoded: true, headers: { 'Heap-Hash': 'ts:1,hmac:x' } }));

    expect(seen).toEqual({ body: '{"a": 1}', header: 'ts:1,hmac:x' });
  });

  it("takes the receive time from API Gateway's event, or from the injected clock when the event carries none", async () => {
    const seen: number[] = [];
    const handler = httpHandler('t', (request) => (seen.push(request.receivedAt), Promise.resolve(json(200, {}))), options);

    await handler(event('{}'));
    await handler(event('{}', { requestContext: undefined }));

    expect(seen).toEqual([1, 1_764_000_000_000]);
  });

  it('keeps 401 refusals at 401', async () => {
    const result = await httpHandler('t', () => Promise.reject(new UnauthorizedError('Invalid client secret')), options)(event('{}'));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({ message: 'Invalid client secret' });
  });
});

describe('cursors', () => {
  const scope = { secret: 'ws1:hash', route: 'members' };

  it('round-trips a DynamoDB key opaquely', () => {
    const key = { pk: 'ws1#C#x', sk: 'M#p1' };
    const cursor = encodeCursor(scope, key)!;
    expect(cursor).not.toContain('ws1');
    expect(decodeCursor(scope, cursor)).toEqual({ ok: true, key });
  });

  it('refuses a cursor that was edited, or issued for another workspace or route', () => {
    const cursor = encodeCursor(scope, { pk: 'ws1#C#x' })!;
    const [payload, signature] = cursor.split('.');
    const forged = `${Buffer.from(JSON.stringify({ pk: 'ws2#C#x' })).toString('base64url')}.${signature}`;

    expect(decodeCursor(scope, forged)).toEqual({ ok: false });
    expect(decodeCursor({ ...scope, secret: 'ws2:hash' }, cursor)).toEqual({ ok: false });
    expect(decodeCursor({ ...scope, route: 'other' }, cursor)).toEqual({ ok: false });
    expect(decodeCursor(scope, `${payload}`)).toEqual({ ok: false });
  });

  it('refuses a signature whose last character differs only in unused padding bits (same bytes, not canonical)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const cursor = encodeCursor(scope, { pk: 'ws1#C#x', sk: 'M#p1' })!;
    const [payload, signature] = cursor.split('.') as [string, string];
    // 16 bytes = 128 bits in 22 characters (132 bits): the last character's 4 low bits are padding.
    const last = alphabet.indexOf(signature.slice(-1));
    const variants = [1, 2, 4, 8].map((bit) => `${signature.slice(0, -1)}${alphabet[last ^ bit]}`);

    for (const variant of variants) {
      expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      expect(decodeCursor(scope, `${payload}.${variant}`)).toEqual({ ok: false });
    }
    expect(decodeCursor(scope, `${payload}.${signature}=`)).toEqual({ ok: false });
    expect(decodeCursor(scope, cursor)).toEqual({ ok: true, key: { pk: 'ws1#C#x', sk: 'M#p1' } });
  });

  it('caps page limits and refuses non-numbers', () => {
    expect(pageLimit(undefined)).toBe(100);
    expect(pageLimit('5000')).toBe(1000);
    // Not a positive integer: no limit (the read routes answer 400).
    expect(pageLimit('abc')).toBeUndefined();
    expect(pageLimit('0')).toBeUndefined();
  });
});

describe('signed import ids', () => {
  it('accept only the spelling the hub issued (lower-case hex signature)', () => {
    const scope = { secret: 'import-id-secret' };
    const id = issueImportId(scope, 'c', Date.parse('2026-03-01T00:00:00Z'));
    const signature = id.slice(-16);

    expect(verifyImportId(scope, 'c', id)).toBe(true);
    // Upper-case hex spells the same bytes; it verifies only if it is the same string (no letters).
    expect(verifyImportId(scope, 'c', `${id.slice(0, -16)}${signature.toUpperCase()}`)).toBe(signature === signature.toUpperCase());
    expect(verifyImportId(scope, 'c', `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`)).toBe(false);
  });
});

describe('identifier keys', () => {
  it('cannot be confused by separators inside alias labels or names', () => {
    const a = identifierKey({ kind: 'alias', label: 'a#b', name: 'c' });
    const b = identifierKey({ kind: 'alias', label: 'a', name: 'b#c' });
    expect(a).not.toBe(b);
    expect(identifierKey({ kind: 'external_id', value: 'x' })).toBe('ext#x');
  });
});

describe('health', () => {
  it('reports degraded when one probe fails or hangs', async () => {
    const report = await checkHealth({ up: () => Promise.resolve(), down: () => Promise.reject(new Error('x')), hung: () => new Promise(() => undefined) }, 50);
    expect(report).toEqual({ status: 'degraded', dependencies: { up: 'up', down: 'down', hung: 'down' } });
  });
});

describe('constant-time comparison', () => {
  it('compares equal and unequal strings of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
});
