import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError, QueueUnavailableError, UnauthorizedError } from '../../functions/shared/errors';
import { httpHandler, json } from '../../functions/shared/http';
import { decodeCursor, encodeCursor, pageLimit } from '../../functions/shared/cursor';
import { identifierKey } from '../../functions/domain/identifiers';
import { checkHealth } from '../../functions/domain/health';
import { constantTimeEqual } from '../../functions/shared/crypto';

const event = (body: string | null, extra: Partial<APIGatewayProxyEvent> = {}) =>
  ({ httpMethod: 'POST', path: '/x', headers: { 'Content-Type': 'application/json' }, body, isBase64Encoded: false, requestContext: { requestTimeEpoch: 1 }, ...extra }) as unknown as APIGatewayProxyEvent;

describe('http wrapper', () => {
  it('renders a HubError as {message, errors} with its status and headers', async () => {
    const handler = httpHandler('t', () => Promise.reject(new BadRequestError('`cohort_id` must be a valid string', ['detail'])));

    const result = await handler(event('{}'));

    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toEqual({ message: '`cohort_id` must be a valid string', errors: ['detail'] });
  });

  it('adds Retry-After to a 503 and hides unexpected errors behind a bare 500', async () => {
    const unavailable = await httpHandler('t', () => Promise.reject(new QueueUnavailableError(7)))(event('{}'));
    const crashed = await httpHandler('t', () => Promise.reject(new Error('secret detail')))(event('{}'));

    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers?.['Retry-After']).toBe('7');
    expect(crashed.statusCode).toBe(500);
    expect(crashed.body).not.toContain('secret detail');
  });

  it('answers 413 before running the route when the body exceeds the limit', async () => {
    let ran = false;
    const handler = httpHandler('t', () => {
      ran = true;
      return Promise.resolve(json(200, {}));
    }, { maxBodyBytes: 10 });

    const result = await handler(event('x'.repeat(11)));

    expect(result.statusCode).toBe(413);
    expect(ran).toBe(false);
  });

  it('gives the route the raw body, decoding base64 from API Gateway, and lower-case headers', async () => {
    let seen: { body: string; header?: string } | undefined;
    const handler = httpHandler('t', (request) => {
      seen = { body: request.rawBody, header: request.headers['heap-hash'] };
      return Promise.resolve(json(200, {}));
    });

    await handler(event(Buffer.from('{"a": 1}').toString('base64'), { isBase64Encoded: true, headers: { 'Heap-Hash': 'ts:1,hmac:x' } }));

    expect(seen).toEqual({ body: '{"a": 1}', header: 'ts:1,hmac:x' });
  });

  it('keeps 401 refusals at 401', async () => {
    const result = await httpHandler('t', () => Promise.reject(new UnauthorizedError('Invalid client secret')))(event('{}'));
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
    expect(decodeCursor(scope, cursor)).toEqual(key);
  });

  it('refuses a cursor that was edited, or issued for another workspace or route', () => {
    const cursor = encodeCursor(scope, { pk: 'ws1#C#x' })!;
    const [payload, signature] = cursor.split('.');
    const forged = `${Buffer.from(JSON.stringify({ pk: 'ws2#C#x' })).toString('base64url')}.${signature}`;

    expect(() => decodeCursor(scope, forged)).toThrow(BadRequestError);
    expect(() => decodeCursor({ ...scope, secret: 'ws2:hash' }, cursor)).toThrow(BadRequestError);
    expect(() => decodeCursor({ ...scope, route: 'other' }, cursor)).toThrow(BadRequestError);
    expect(() => decodeCursor(scope, `${payload}`)).toThrow(BadRequestError);
  });

  it('caps page limits and refuses non-numbers', () => {
    expect(pageLimit(undefined)).toBe(100);
    expect(pageLimit('5000')).toBe(1000);
    expect(() => pageLimit('abc')).toThrow(BadRequestError);
    expect(() => pageLimit('0')).toThrow(BadRequestError);
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
