import { ABTASTY_TOKEN_URL, ABTASTY_UDC_URL, abTastyUrls } from '../../functions/adapters/abtasty-http';
import { abTastyTokenProvider, DEFAULT_LIFETIME_SECONDS, forgetAbTastyTokens } from '../../functions/adapters/abtasty-oauth';
import { logger } from '../../functions/shared/powertools';

const SECRET = 'client-secret-0123456789';
const URL_ = 'https://auth.example.test/oauth/v2/token';

/** A token route: answers from `answers` in order, then grants `tok-<n>` for 3600 s. */
const tokenRoute = (answers: (() => Response | Promise<Response>)[] = []) => {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchFn = jest.fn((url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    const scripted = answers.shift();
    if (scripted) return Promise.resolve(scripted());
    return Promise.resolve(new Response(JSON.stringify({ access_token: `tok-${calls.length}`, expires_in: 3600, token_type: 'bearer' }), { status: 200 }));
  });
  return { calls, fetch: fetchFn as unknown as typeof fetch };
};

const logged: string[] = [];
beforeEach(() => {
  forgetAbTastyTokens();
  logged.length = 0;
  logger.setLogLevel('DEBUG');
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(JSON.stringify(args)));
  }
});
afterEach(() => jest.restoreAllMocks());

describe('AB Tasty token provider', () => {
  it('grants with the documented JSON body and headers', async () => {
    const route = tokenRoute();
    const result = await abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch }).token();

    expect(result).toEqual({ kind: 'token', token: 'tok-1' });
    expect(route.calls[0]?.url).toBe(URL_);
    expect(route.calls[0]?.init.method).toBe('POST');
    expect(route.calls[0]?.init.headers).toEqual({ 'Content-Type': 'application/json', Accept: 'application/json' });
    expect(JSON.parse(route.calls[0]?.init.body as string)).toEqual({ client_id: 'cid', client_secret: SECRET, grant_type: 'client_credentials' });
    expect(route.calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it('shares one cached token across providers of the same client and URL (a warm container), and one grant across concurrent callers', async () => {
    const route = tokenRoute();
    const first = abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch });
    const second = abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch });
    const results = await Promise.all([first.token(), second.token(), first.token()]);
    expect(results.map((result) => result.kind === 'token' && result.token)).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(await second.token()).toEqual({ kind: 'token', token: 'tok-1' });
    expect(route.calls).toHaveLength(1);

    await abTastyTokenProvider({ clientId: 'other', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch }).token();
    await abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: `${URL_}/b`, fetch: route.fetch }).token();
    expect(route.calls).toHaveLength(3);
  });

  it('grants again shortly before expiry (5 minutes ahead)', async () => {
    const route = tokenRoute();
    let now = 1_000_000;
    const provider = abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch, now: () => now });
    await provider.token();
    now += (3600 - 300) * 1000 - 1;
    expect(await provider.token()).toEqual({ kind: 'token', token: 'tok-1' });
    now += 1;
    expect(await provider.token()).toEqual({ kind: 'token', token: 'tok-2' });
  });

  it('replaces a token AB Tasty answered 401 to once, even when two invocations report it', async () => {
    const route = tokenRoute();
    const provider = abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch });
    await provider.token();
    expect(await provider.refresh('tok-1')).toEqual({ kind: 'token', token: 'tok-2' });
    expect(await provider.refresh('tok-1')).toEqual({ kind: 'token', token: 'tok-2' });
    expect(await provider.token()).toEqual({ kind: 'token', token: 'tok-2' });
    expect(route.calls).toHaveLength(2);
  });

  it('reports a refused grant with AB Tasty answer, the secret removed', async () => {
    const route = tokenRoute([() => new Response(`{"error":"invalid_client","echo":"${SECRET}"}`, { status: 401 })]);
    const result = await abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch }).token();
    expect(result).toEqual({ kind: 'failed', outcome: { kind: 'answered', status: 401, message: '{"error":"invalid_client","echo":"[redacted]"}' } });
  });

  it('reports a timeout, a connection failure and a 200 without a token as retryable outcomes', async () => {
    const timeout = tokenRoute([() => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))]);
    expect(await abTastyTokenProvider({ clientId: 'a', clientSecret: SECRET, tokenUrl: URL_, fetch: timeout.fetch }).token()).toEqual({
      kind: 'failed',
      outcome: { kind: 'timeout', message: 'no answer before the timeout' },
    });
    const refused = tokenRoute([() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))]);
    expect(await abTastyTokenProvider({ clientId: 'b', clientSecret: SECRET, tokenUrl: URL_, fetch: refused.fetch }).token()).toEqual({
      kind: 'failed',
      outcome: { kind: 'unreachable', message: 'fetch failed: ECONNREFUSED' },
    });
    const empty = tokenRoute([() => new Response('{"token_type":"bearer"}', { status: 200 })]);
    const result = await abTastyTokenProvider({ clientId: 'c', clientSecret: SECRET, tokenUrl: URL_, fetch: empty.fetch }).token();
    expect(result).toMatchObject({ kind: 'failed', outcome: { kind: 'answered', status: 502 } });
  });

  it('assumes a default lifetime when the answer has no expires_in', async () => {
    let now = 0;
    const route = tokenRoute([() => new Response('{"access_token":"short"}', { status: 200 })]);
    const provider = abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch, now: () => now });
    await provider.token();
    now = DEFAULT_LIFETIME_SECONDS * 1000 - 300_000;
    expect(await provider.token()).toEqual({ kind: 'token', token: 'tok-2' });
  });

  it('never logs the secret or a token', async () => {
    const route = tokenRoute([() => new Response(`nope ${SECRET}`, { status: 400 })]);
    const provider = abTastyTokenProvider({ clientId: 'cid', clientSecret: SECRET, tokenUrl: URL_, fetch: route.fetch });
    await provider.token();
    await provider.token();
    await provider.refresh('tok-2');
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toMatch(/tok-\d/);
    }
  });
});

describe('AB Tasty URLs', () => {
  it('default to the documented ones and honour ABTASTY_TOKEN_URL / ABTASTY_UDC_URL', () => {
    expect(abTastyUrls({})).toEqual({ tokenUrl: 'https://api.abtasty.com/oauth/v2/token', udcUrl: 'https://api-data-connector.abtasty.com' });
    expect(ABTASTY_TOKEN_URL).toBe('https://api.abtasty.com/oauth/v2/token');
    expect(ABTASTY_UDC_URL).toBe('https://api-data-connector.abtasty.com');
    expect(abTastyUrls({ ABTASTY_TOKEN_URL: 'http://127.0.0.1:9/t', ABTASTY_UDC_URL: 'http://127.0.0.1:9/' })).toEqual({
      tokenUrl: 'http://127.0.0.1:9/t',
      udcUrl: 'http://127.0.0.1:9',
    });
  });
});
