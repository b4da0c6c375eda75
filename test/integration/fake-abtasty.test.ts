/** The fake AB Tasty enforces the documented contract (docs/abtasty-delivery.md) and scripts failures. */
import { startFakeAbTasty, type FakeAbTasty } from '../support/fake-abtasty';

describe('fake AB Tasty', () => {
  let fake: FakeAbTasty;
  beforeEach(async () => {
    fake = await startFakeAbTasty({ clients: { 'client-1': 'secret-1' }, tokenLifetimeSeconds: 600 });
  });
  afterEach(() => fake.close());

  const grant = (body: unknown, contentType = 'application/json') =>
    fetch(fake.tokenUrl, { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const token = async () => ((await (await grant({ client_id: 'client-1', client_secret: 'secret-1', grant_type: 'client_credentials' })).json()) as { access_token: string }).access_token;
  const upload = (bearer: string | undefined, body: string, contentType = 'text/csv', path = '/accounts/acc-1/segments/heaphub') =>
    fetch(`${fake.udcUrl}${path}`, { method: 'POST', headers: { 'Content-Type': contentType, ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) }, body });

  it('grants a random bearer token with expires_in for the right client credentials only', async () => {
    const answer = await grant({ client_id: 'client-1', client_secret: 'secret-1', grant_type: 'client_credentials' });
    const body = (await answer.json()) as Record<string, unknown>;
    expect(answer.status).toBe(200);
    expect(body).toMatchObject({ expires_in: 600, token_type: 'bearer' });
    expect(body.access_token).toMatch(/^[0-9a-f]{48}$/);
    expect(fake.issued).toEqual([body.access_token]);

    expect((await grant({ client_id: 'client-1', client_secret: 'wrong', grant_type: 'client_credentials' })).status).toBe(401);
    expect((await grant({ client_id: 'client-1', client_secret: 'secret-1', grant_type: 'password' })).status).toBe(400);
    expect((await grant('client_id=client-1&client_secret=secret-1', 'application/x-www-form-urlencoded')).status).toBe(415);
  });

  it('accepts a CSV push with a live bearer token and records it', async () => {
    const bearer = await token();
    const answer = await upload(bearer, 'visitor_id,segment,value\nABC-1,heap_1,\nv-2,heap_1,Élodie\n');
    expect(answer.status).toBe(200);
    expect(fake.accepted).toEqual([
      { account: 'acc-1', partner: 'heaphub', token: bearer, rows: [{ visitor_id: 'ABC-1', segment: 'heap_1', value: '' }, { visitor_id: 'v-2', segment: 'heap_1', value: 'Élodie' }] },
    ]);
    expect(fake.uploads()[0]?.headers.authorization).toBe(`Bearer ${bearer}`);
  });

  it('accepts a JSON push too', async () => {
    const answer = await upload(await token(), JSON.stringify([{ visitor_id: 'v-1', segment: 'heap_1' }]), 'application/json');
    expect(answer.status).toBe(200);
  });

  it.each([
    ['no bearer', undefined, 'visitor_id\nv-1\n', 'text/csv', '/accounts/acc-1/segments/heaphub', 401],
    ['an unknown bearer', 'made-up', 'visitor_id\nv-1\n', 'text/csv', '/accounts/acc-1/segments/heaphub', 401],
    ['another path', 'live', 'visitor_id\nv-1\n', 'text/csv', '/accounts/acc-1/segments', 404],
    ['another content type', 'live', 'visitor_id\nv-1\n', 'text/plain', '/accounts/acc-1/segments/heaphub', 415],
    ['a header without visitor_id', 'live', 'id,segment\nv-1,heap_1\n', 'text/csv', '/accounts/acc-1/segments/heaphub', 400],
    ['a bad visitor id', 'live', 'visitor_id,segment\nv 1,heap_1\n', 'text/csv', '/accounts/acc-1/segments/heaphub', 400],
    ['a 33-character visitor id', 'live', `visitor_id\n${'a'.repeat(33)}\n`, 'text/csv', '/accounts/acc-1/segments/heaphub', 400],
    ['a value with a space', 'live', 'visitor_id,segment,value\nv-1,heap_1,two words\n', 'text/csv', '/accounts/acc-1/segments/heaphub', 400],
    ['a row with an extra field', 'live', 'visitor_id,segment,value\nv-1,heap_1,a,b\n', 'text/csv', '/accounts/acc-1/segments/heaphub', 400],
  ])('refuses %s', async (_case, bearer, body, contentType, path, status) => {
    const answer = await upload(bearer === 'live' ? await token() : bearer, body, contentType, path);
    expect(answer.status).toBe(status);
    expect(fake.accepted).toEqual([]);
  });

  it('says which line broke the contract', async () => {
    const answer = await upload(await token(), 'visitor_id,segment,value\nv-1,heap_1,\nv 2,heap_1,\n');
    expect(await answer.json()).toEqual({ message: 'line 3: visitor_id "v 2" does not match (?i)^[a-z0-9-]{1,32}$' });
  });

  it('answers scripted failures in order (429 with Retry-After, 500), then normally', async () => {
    const bearer = await token();
    fake.failUploads({ status: 429, retryAfter: '2' }, { status: 500, message: 'boom' });
    const first = await upload(bearer, 'visitor_id\nv-1\n');
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '2']);
    const second = await upload(bearer, 'visitor_id\nv-1\n');
    expect([second.status, await second.json()]).toEqual([500, { message: 'boom' }]);
    expect((await upload(bearer, 'visitor_id\nv-1\n')).status).toBe(200);
    expect(fake.uploads().map((request) => request.status)).toEqual([429, 500, 200]);
  });

  it('revoked and expired tokens get 401', async () => {
    const bearer = await token();
    fake.revokeTokens();
    expect((await upload(bearer, 'visitor_id\nv-1\n')).status).toBe(401);

    const shortLived = await startFakeAbTasty({ clients: { c: 's' }, tokenLifetimeSeconds: 0 });
    try {
      const answer = await fetch(shortLived.tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_id: 'c', client_secret: 's', grant_type: 'client_credentials' }) });
      const expired = ((await answer.json()) as { access_token: string }).access_token;
      const refused = await fetch(`${shortLived.udcUrl}/accounts/a/segments/p`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${expired}` }, body: 'visitor_id\nv\n' });
      expect(refused.status).toBe(401);
    } finally {
      await shortLived.close();
    }
  });
});
