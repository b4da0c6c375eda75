import { abTastyUdcSender, udcRoute } from '../../functions/adapters/abtasty-udc';
import type { UdcUpload } from '../../functions/domain/abtasty-delivery';

const TOKEN = 'bearer-token-abcdef';

async function* chunks(...parts: string[]) {
  for (const part of parts) {
    await Promise.resolve();
    yield Buffer.from(part, 'utf8');
  }
}

const upload = (body: AsyncIterable<Uint8Array> = chunks('visitor_id,segment,value\n', 'v-1,heap_1,\n')): UdcUpload => ({
  account: 'acc-1',
  partner: 'heaphub',
  token: TOKEN,
  contentType: 'text/csv',
  body,
});

/** A UDC route that reads the streamed body, then answers `respond(text)`. */
const udcRouteFake = (respond: (text: string) => Response | Promise<Response>) => {
  const calls: { url: string; init: RequestInit & { duplex?: string }; text: string }[] = [];
  const fetchFn = async (url: string, init?: RequestInit) => {
    const text = await new Response(init?.body).text();
    calls.push({ url, init: init ?? {}, text });
    return respond(text);
  };
  return { calls, fetch: fetchFn as typeof fetch };
};

describe('AB Tasty UDC sender', () => {
  it('POSTs the streamed file to the partner route with the bearer token and content type', async () => {
    const route = udcRouteFake(() => new Response('{"message":"OK"}', { status: 200 }));
    const outcome = await abTastyUdcSender({ udcUrl: 'https://udc.example.test/', fetch: route.fetch }).send(upload());

    expect(outcome).toEqual({ kind: 'answered', status: 200, message: '{"message":"OK"}' });
    expect(route.calls[0]?.url).toBe('https://udc.example.test/accounts/acc-1/segments/heaphub');
    expect(route.calls[0]?.init).toMatchObject({ method: 'POST', duplex: 'half' });
    expect(route.calls[0]?.init.headers).toMatchObject({ Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/csv' });
    expect(route.calls[0]?.init.body).toBeInstanceOf(ReadableStream);
    expect(route.calls[0]?.text).toBe('visitor_id,segment,value\nv-1,heap_1,\n');
  });

  it('returns HTTP refusals as outcomes, with Retry-After, and never the token', async () => {
    const throttled = udcRouteFake(() => new Response('slow down', { status: 429, headers: { 'Retry-After': '3' } }));
    expect(await abTastyUdcSender({ udcUrl: 'https://u.test', fetch: throttled.fetch }).send(upload())).toEqual({
      kind: 'answered',
      status: 429,
      message: 'slow down',
      retryAfter: '3',
    });
    const echo = udcRouteFake(() => new Response(`{"message":"token ${TOKEN} expired"}`, { status: 401 }));
    expect(await abTastyUdcSender({ udcUrl: 'https://u.test', fetch: echo.fetch }).send(upload())).toEqual({
      kind: 'answered',
      status: 401,
      message: '{"message":"token [redacted] expired"}',
    });
    const empty = udcRouteFake(() => new Response(null, { status: 500, statusText: 'Internal Server Error' }));
    expect(await abTastyUdcSender({ udcUrl: 'https://u.test', fetch: empty.fetch }).send(upload())).toMatchObject({ status: 500, message: 'Internal Server Error' });
  });

  it('turns a timeout and a connection failure into outcomes', async () => {
    const timeout = (() => Promise.reject(new DOMException('aborted', 'TimeoutError'))) as unknown as typeof fetch;
    expect(await abTastyUdcSender({ udcUrl: 'https://u.test', fetch: timeout }).send(upload())).toEqual({ kind: 'timeout', message: 'no answer before the timeout' });
    const refused = (() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }))) as unknown as typeof fetch;
    expect(await abTastyUdcSender({ udcUrl: 'https://u.test', fetch: refused }).send(upload())).toEqual({ kind: 'unreachable', message: 'fetch failed: ECONNRESET' });
  });

  it('times out for real: AbortSignal.timeout aborts a request that gets no answer', async () => {
    const hanging = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)))) as unknown as typeof fetch;
    expect(await abTastyUdcSender({ udcUrl: 'https://u.test', fetch: hanging, timeoutMs: 20 }).send(upload())).toEqual({ kind: 'timeout', message: 'no answer before the timeout' });
  });

  it('rethrows a failure of the member source behind the body (the hub failed, not AB Tasty)', async () => {
    async function* failing() {
      await Promise.resolve();
      yield Buffer.from('visitor_id,segment,value\n');
      throw new Error('DynamoDB throttled');
    }
    const route = udcRouteFake(() => new Response('', { status: 200 }));
    await expect(abTastyUdcSender({ udcUrl: 'https://u.test', fetch: route.fetch }).send(upload(failing()))).rejects.toThrow('DynamoDB throttled');
  });

  it('throws for programmer errors only: a bad account or partner, an empty token', async () => {
    const route = udcRouteFake(() => new Response('', { status: 200 }));
    const sender = abTastyUdcSender({ udcUrl: 'https://u.test', fetch: route.fetch });
    await expect(sender.send({ ...upload(), account: '../admin' })).rejects.toThrow(TypeError);
    await expect(sender.send({ ...upload(), partner: 'a b' })).rejects.toThrow(TypeError);
    await expect(sender.send({ ...upload(), token: '' })).rejects.toThrow(TypeError);
    expect(route.calls).toHaveLength(0);
    expect(udcRoute('https://u.test//', 'a', 'b')).toBe('https://u.test/accounts/a/segments/b');
  });
});
