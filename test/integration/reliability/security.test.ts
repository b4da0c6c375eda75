/**
 * Security: an authentication matrix over every public route × {no credential, wrong, another
 * workspace's, rotated-out}, generated from the route table and the credential registry
 * (functions/shared/definitions/); tenant isolation between two workspaces (reads, writes,
 * guessed ids, replayed and tampered cursors); and no secret in anything the hub logs while all of
 * this runs with the Powertools logger at DEBUG — including an AB Tasty push (the real OAuth and UDC
 * adapters against the fake AB Tasty) whose report is then read through the API.
 */
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { abTastyTokenProvider, forgetAbTastyTokens } from '../../../functions/adapters/abtasty-oauth';
import { abTastyUdcSender } from '../../../functions/adapters/abtasty-udc';
import { dynamoDeliveryReports } from '../../../functions/adapters/delivery-reports';
import { directoryStore } from '../../../functions/adapters/directory';
import { dynamoSetReads } from '../../../functions/adapters/set-reads';
import { localSecretBox } from '../../../functions/adapters/secret-box';
import { dynamoWorkspaceStore } from '../../../functions/adapters/workspace-store';
import { allSegments } from '../../../functions/domain/abtasty';
import { candidatesOf, deliver, membershipMemberSource, planDelivery } from '../../../functions/domain/abtasty-delivery';
import { systemClock } from '../../../functions/domain/ports';
import { rotateCredential, setEncryptedCredential } from '../../../functions/domain/workspaces';
import { generateSecret } from '../../../functions/shared/crypto';
import type { CredentialKind, WorkspaceCredentials } from '../../../functions/schemas/workspace';
import { CREDENTIAL_KINDS, CREDENTIALS, HASHED_CREDENTIAL_KINDS, isHashedCredential } from '../../../functions/shared/definitions/credentials';
import type { QueueKey } from '../../../functions/shared/definitions/queues';
import { logger } from '../../../functions/shared/powertools';
import { eventually, startTestHub, type TestHub, type TestResponse } from '../harness';
import { AUTH_CELLS, ROUTE_SPECS, authMatrix, cohortBody, currentsBody, fillPath, heapHeaders, heapSyncBody, publicRoutes, segmentBody, unlistedRoutes, type AuthCell, type Fixtures, type RouteKey, type RouteRequest, type RouteSpec } from './routes';
import { captureProcessOutput } from '../../support/capture-output';
import { startFakeAbTasty, type FakeAbTasty } from '../../support/fake-abtasty';

/** The AB Tasty Public API client the destinations use (the fake AB Tasty knows it). */
const AB_TASTY_CLIENT_ID = `client-${randomBytes(4).toString('hex')}`;
const AB_TASTY_CLIENT_SECRET = randomBytes(24).toString('base64url');

type Cell = AuthCell;
const CELLS = AUTH_CELLS;
/** Credentials compared by hash: each one is tried where another is expected. */
const OTHER_KINDS = HASHED_CREDENTIAL_KINDS;

describe('security: authentication, tenant isolation, secrets in logs', () => {
  let hub: TestHub;
  /** A and B: two tenants with overlapping cohort and segment ids. R: a workspace whose credentials were rotated. */
  let a: WorkspaceCredentials;
  let b: WorkspaceCredentials;
  let r: WorkspaceCredentials;
  let rotatedOut: WorkspaceCredentials;
  const fixtures: Record<'a' | 'b' | 'r', Fixtures> = {
    a: { cohortId: 'shared-cohort', importId: '', segmentId: '4242', visitorId: 'v-a-1', externalId: 'u-1', brazeId: 'aaaaaaaaaaaaaaaaaaaaaaa1' },
    b: { cohortId: 'shared-cohort', importId: '', segmentId: '4242', visitorId: 'v-b-1', externalId: 'u-1', brazeId: 'bbbbbbbbbbbbbbbbbbbbbbb1' },
    r: { cohortId: 'r-cohort', importId: 'imp_x', segmentId: '4242', visitorId: 'v-r-1', externalId: 'u-1', brazeId: 'ccccccccccccccccccccccc1' },
  };
  let bOnlyImport = '';
  let fakeAbTasty: FakeAbTasty;
  const captured: string[] = [];
  let matrixCells = 0;
  let matrixRequests = 0;
  let summary = '';

  const send = (key: RouteKey, request: RouteRequest): Promise<TestResponse> => {
    const [method, path] = key.split(' ') as [string, string];
    const query = new URLSearchParams(request.query).toString();
    return hub.request(method, `${fillPath(path, request.pathParameters)}${query ? `?${query}` : ''}`, {
      headers: request.headers,
      ...(request.body === undefined ? {} : { raw: request.body }),
    });
  };
  const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
  const read = (ws: WorkspaceCredentials, path: string) => hub.request('GET', path, bearer(ws.apiKey));
  const abTasty = (ws: WorkspaceCredentials, path: string) => hub.request('GET', path, bearer(ws.abTastyToken));
  const importCohort = async (ws: WorkspaceCredentials, cohortId: string, userIds: string[], remove = false) => {
    const created = await hub.request('POST', `/partners/${ws.partnerName}/cohorts`, { raw: cohortBody(ws, { cohort_id: cohortId, name: `Cohort ${cohortId}`, created_at: '2026-01-01T00:00:00Z' }) });
    expect(created.status).toBe(201);
    const changed = await hub.request('POST', `/partners/${ws.partnerName}/cohorts/users`, { raw: cohortBody(ws, { cohort_id: cohortId, cohort_changes: [{ user_ids: userIds, should_remove: remove }] }) });
    expect(changed.status).toBe(201);
    const importId = changed.body.import_id as string;
    await eventually(async () => ((await read(ws, `/v1/cohorts/${cohortId}/imports/${importId}`)).body?.status === 'applied' ? true : undefined), 30000, `import ${importId}`);
    return importId;
  };
  const syncSegment = async (ws: WorkspaceCredentials, segmentId: string, visitors: string[]) => {
    const body = heapSyncBody(segmentId, visitors);
    const response = await hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw: body, headers: heapHeaders(ws.heapWebhookSecret, body) });
    expect(response.status).toBe(200);
  };
  const members = async (ws: WorkspaceCredentials, cohortId: string) =>
    ((await read(ws, `/v1/cohorts/${cohortId}/members`)).body.members as { braze_id: string }[]).map((member) => member.braze_id).sort();
  const visitors = async (ws: WorkspaceCredentials, segmentId: string) => ((await abTasty(ws, `/abtasty/segments/${segmentId}/visitors`)).body.visitors as string[]).sort();
  const currents = (ws: WorkspaceCredentials, body: string, query = '') =>
    hub.request('POST', `/currents${query}`, { raw: body, headers: { Authorization: `Bearer ${ws.currentsToken}` } });
  const queueDepth = async (key: QueueKey) => {
    const { Attributes } = await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: hub.queues[key].url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  const drained = () =>
    eventually(async () => ((await queueDepth('cohortImport')) + (await queueDepth('heapSync')) + (await queueDepth('currents')) === 0 ? true : undefined), 30000, 'queues drained');

  beforeAll(async () => {
    // Everything the process writes while the suite runs is kept (and searched at the end).
    captureProcessOutput(captured);

    hub = await startTestHub({ visibilitySeconds: 10 });
    logger.setLogLevel('DEBUG');
    fakeAbTasty = await startFakeAbTasty({ clients: { [AB_TASTY_CLIENT_ID]: AB_TASTY_CLIENT_SECRET } });
    process.env.ABTASTY_TOKEN_URL = fakeAbTasty.tokenUrl;
    process.env.ABTASTY_UDC_URL = fakeAbTasty.udcUrl;
    a = await hub.createWorkspace({ partnerName: 'segment', partnerKeyPolicy: 'configured' });
    b = await hub.createWorkspace({ partnerName: 'segment', partnerKeyPolicy: 'configured' });
    const rName = `rot-${randomBytes(3).toString('hex')}`;
    r = await hub.createWorkspace({ name: rName, partnerName: 'segment', partnerKeyPolicy: 'configured' });
    const now = new Date().toISOString();
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    for (const [ws, prefix] of [[a, 'a'], [b, 'b']] as const) {
      for (const user of ['u-1', 'u-2', 'u-3', `u-${prefix}-only`]) {
        await directory.createProfile(ws.workspaceId, `${prefix}-braze-${user}`, now);
        expect(await directory.claim(ws.workspaceId, `${prefix}-braze-${user}`, { kind: 'external_id', value: user }, now)).toBe('claimed');
      }
    }
    fixtures.a.importId = await importCohort(a, 'shared-cohort', ['u-1', 'u-2', 'u-a-only']);
    fixtures.b.importId = await importCohort(b, 'shared-cohort', ['u-1', 'u-2', 'u-3', 'u-b-only']);
    bOnlyImport = await importCohort(b, 'b-only', ['u-1', 'u-b-only']);
    await importCohort(a, 'a-second', ['u-3']);
    await syncSegment(a, '4242', ['v-a-1', 'v-a-2']);
    await syncSegment(b, '4242', ['v-b-1', 'v-b-2', 'v-b-3']);
    await syncSegment(b, '777', ['v-b-1']);
    // Currents: one good event for B's user, and one B's rejects store keeps.
    expect((await currents(b, currentsBody(fixtures.b.brazeId, 'u-b-only', 'b-event-1'))).status).toBe(200);
    expect((await currents(b, JSON.stringify({ events: [{ id: 'b-bad', event_type: 'x' }] }))).status).toBe(200);
    await drained();

    // R's credentials, then every one of them rotated: the old values must be refused.
    const deps = { store: dynamoWorkspaceStore(hub.doc, hub.tables.workspaces), secrets: localSecretBox(hub.secretKey) };
    // Every workspace pushes to AB Tasty (so the context route has a destination); the client secret is kept encrypted.
    for (const ws of [a, b, r]) {
      const clientSecretCiphertext = await deps.secrets.encrypt(AB_TASTY_CLIENT_SECRET, { workspaceId: ws.workspaceId, purpose: 'abTastyClientSecret' });
      await deps.store.update(ws.workspaceId, { abTasty: { account: 'acc-1', partner: 'heapsync', clientId: AB_TASTY_CLIENT_ID, clientSecretCiphertext, segments: 'all', enabled: true } });
    }
    rotatedOut = { ...r };
    const fresh: Partial<Record<CredentialKind, string>> = {};
    for (const kind of CREDENTIAL_KINDS) {
      // Rotated with grace 0 (revoked at once); Heap issues its own secret, which the admin replaces.
      if (isHashedCredential(kind)) fresh[kind] = (await rotateCredential({ ...deps, clock: systemClock }, rName, kind, { graceSeconds: 0 })).value;
      else await setEncryptedCredential(deps, rName, kind, (fresh[kind] = generateSecret(CREDENTIALS[kind].prefix)));
    }
    r = { ...r, ...fresh };
  });
  afterAll(async () => {
    delete process.env.ABTASTY_TOKEN_URL;
    delete process.env.ABTASTY_UDC_URL;
    await fakeAbTasty?.close();
    await hub.stop();
    jest.restoreAllMocks();
    if (summary) console.log(summary);
  });

  it('has an authentication row for every public route in the route table', () => {
    expect(unlistedRoutes()).toEqual([]);
  });

  /** The route's valid request for `ws`, with the credential replaced as the cell says. */
  const requestsFor = (key: RouteKey, spec: RouteSpec, cell: Cell): RouteRequest[] => {
    const valid = spec.valid(a, fixtures.a);
    const auth = spec.auth;
    const withBody = (body: Record<string, unknown>) => ({ ...valid, body: JSON.stringify(body) });
    const base = () => JSON.parse(valid.body ?? '{}') as Record<string, unknown>;
    if (auth.kind === 'cohortBody') {
      const { client_secret: _secret, partner_api_key: _key, ...rest } = base();
      if (cell === 'no credential') return [withBody(rest), withBody({ ...rest, client_secret: a.dataImportKey }), withBody({ ...rest, partner_api_key: a.partnerApiKey })];
      if (cell === 'wrong') return [withBody({ ...rest, client_secret: `hub_dik_${randomBytes(32).toString('base64url')}`, partner_api_key: a.partnerApiKey }), withBody({ ...rest, client_secret: a.dataImportKey, partner_api_key: 'hub_pk_wrong' }), ...OTHER_KINDS.filter((kind) => kind !== 'dataImportKey').map((kind) => withBody({ ...rest, client_secret: a[kind], partner_api_key: a.partnerApiKey }))];
      if (cell === "another workspace's") return [withBody({ ...rest, client_secret: a.dataImportKey, partner_api_key: b.partnerApiKey }), ...OTHER_KINDS.filter((kind) => kind !== 'dataImportKey').map((kind) => withBody({ ...rest, client_secret: b[kind], partner_api_key: b.partnerApiKey }))];
      return [withBody({ ...rest, client_secret: rotatedOut.dataImportKey, partner_api_key: r.partnerApiKey }), withBody({ ...rest, client_secret: r.dataImportKey, partner_api_key: rotatedOut.partnerApiKey })];
    }
    if (auth.kind === 'heapHash') {
      const body = valid.body ?? '';
      const at = (ws: WorkspaceCredentials, headers: Record<string, string>) => ({ ...valid, pathParameters: { workspaceId: ws.workspaceId }, headers: { 'content-type': 'application/json', ...headers } });
      if (cell === 'no credential') return [at(a, {})];
      if (cell === 'wrong') return [at(a, heapHeaders(`hub_heap_${randomBytes(32).toString('base64url')}`, body)), at(a, { 'heap-hash': `ts:${Date.now()},hmac:${randomBytes(32).toString('base64')}` }), at(a, heapHeaders(a.apiKey, body))];
      if (cell === "another workspace's") return [at(a, heapHeaders(b.heapWebhookSecret, body)), at(b, heapHeaders(a.heapWebhookSecret, body))];
      return [at(r, heapHeaders(rotatedOut.heapWebhookSecret, body))];
    }
    if (auth.kind === 'bearer') {
      const withToken = (token: string | undefined): RouteRequest => ({ ...valid, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      if (cell === 'no credential') return [withToken(undefined), { ...valid, headers: { authorization: '' } }, { ...valid, headers: { authorization: 'Bearer' } }];
      if (cell === 'wrong') return [withToken(`hub_api_${randomBytes(32).toString('base64url')}`), ...OTHER_KINDS.filter((kind) => kind !== auth.credential).map((kind) => withToken(a[kind])), withToken(a.heapWebhookSecret), { ...valid, headers: { authorization: `Basic ${Buffer.from(`x:${a[auth.credential]}`).toString('base64')}` } }];
      const others = [...OTHER_KINDS.filter((kind) => kind !== auth.credential).map((kind) => withToken(b[kind])), withToken(b.heapWebhookSecret)];
      // Currents: A's own token with `?workspace=` naming B.
      if (cell === "another workspace's" && key === 'POST /currents') return [...others, { ...withToken(a.currentsToken), query: { workspace: b.workspaceId } }];
      // A path that names the workspace (Segment): B's own token on A's path, and A's token on B's path.
      const pathNamesWorkspace = 'workspaceId' in valid.pathParameters;
      const onPathOf = (ws: WorkspaceCredentials, token: string): RouteRequest => ({ ...withToken(token), pathParameters: { workspaceId: ws.workspaceId } });
      if (cell === "another workspace's" && pathNamesWorkspace) return [...others, withToken(b[auth.credential]), onPathOf(b, a[auth.credential])];
      if (cell === "another workspace's") return others;
      return [pathNamesWorkspace ? onPathOf(r, rotatedOut[auth.credential]) : withToken(rotatedOut[auth.credential])];
    }
    throw new Error(`${key} is public`);
  };

  // The matrix: every authenticated route of the table × every cell, with the refusal its credential's convention sets.
  const matrix = authMatrix();
  const authenticated = publicRoutes().filter((route) => matrix.some((entry) => entry.key === route.key));
  describe.each(authenticated.map((route) => [route.key]))('%s', (key) => {
    it.each(matrix.filter((entry) => entry.key === key).map((entry) => [entry.cell]))('refuses a request with credential: %s, in the route\'s own convention, and queues nothing', async (cell) => {
      const spec = ROUTE_SPECS[key]!;
      const before = { cohortImport: await queueDepth('cohortImport'), heapSync: await queueDepth('heapSync'), currents: await queueDepth('currents') };

      const responses = [];
      for (const request of requestsFor(key, spec, cell)) responses.push(await send(key, request));

      matrixCells += 1;
      matrixRequests += responses.length;
      for (const response of responses) {
        const missing = cell === 'no credential' && spec.missingRefusal !== undefined;
        expect(response.status).toBe(missing ? spec.missingRefusal : spec.refusal);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        if (spec.auth.kind === 'heapHash') expect(response.body).toMatchObject({ message: missing ? 'Expected "heap-hash" in the header' : 'Forbidden' });
        else if (spec.auth.kind === 'cohortBody') expect(response.body).toEqual({ message: expect.any(String), errors: [response.body.message] });
        else expect(response.body).toEqual({ message: 'Unauthorized access' });
      }
      expect({ cohortImport: await queueDepth('cohortImport'), heapSync: await queueDepth('heapSync'), currents: await queueDepth('currents') }).toEqual(before);
    });
  });

  it('the valid request of every authenticated route is accepted (the matrix refuses for the credential, not the request)', async () => {
    for (const route of authenticated) {
      const spec = ROUTE_SPECS[route.key] as RouteSpec;
      const status = (await send(route.key, spec.valid(a, fixtures.a))).status;
      expect({ route: route.key, accepted: status === 200 || status === 201 }).toEqual({ route: route.key, accepted: true });
    }
    await drained();
  });

  it('accepts the rotated-in credentials and the configured partner key after rotation', async () => {
    const upsert = await hub.request('POST', `/partners/${r.partnerName}/cohorts`, { raw: cohortBody(r, { cohort_id: 'r-cohort', name: 'R', created_at: '2026-01-01T00:00:00Z' }) });
    const reads = await Promise.all([read(r, '/v1/cohorts'), abTasty(r, '/abtasty/segments')]);

    const segment = await hub.request('POST', `/segment/audiences/${r.workspaceId}`, { raw: segmentBody('r-cohort', 'u-1', { name: 'R' }), headers: { Authorization: `Bearer ${r.segmentToken}` } });

    expect(upsert.status).toBe(201);
    expect(reads.map((response) => response.status)).toEqual([200, 200]);
    expect(segment.status).toBe(200);
    await drained();
  });

  it('GET /health is public and exposes no workspace, credential, table, queue or endpoint', async () => {
    const response = await hub.request('GET', '/health');

    expect(response.status).toBe(200);
    expect(Object.keys(response.body as object).sort()).toEqual(['dependencies', 'status']);
    const sensitive = [
      ...[a, b].flatMap((ws) => Object.values(ws)),
      ...Object.values(hub.tables),
      ...Object.values(hub.queues).flatMap((queue) => [queue.url, queue.dlqUrl]),
      hub.secretKey,
      process.env.HUB_TEST_DYNAMO_ENDPOINT ?? 'unset',
      process.env.HUB_TEST_SQS_ENDPOINT ?? 'unset',
    ].filter((value) => value !== 'segment');
    for (const value of sensitive) expect(response.text).not.toContain(value);
    expect(response.text).not.toMatch(/arn:|https?:|127\.0\.0\.1|localhost/);
  });

  describe('tenant isolation: with workspace A\'s keys nothing of workspace B can be read or changed', () => {
    it('lists only A\'s cohorts and A\'s members of a cohort id both use', async () => {
      const cohorts = (await read(a, '/v1/cohorts')).body.cohorts as { id: string; member_count: number }[];

      expect(cohorts.map((cohort) => cohort.id).sort()).toEqual(['a-second', 'shared-cohort']);
      expect(await members(a, 'shared-cohort')).toEqual(['a-braze-u-1', 'a-braze-u-2', 'a-braze-u-a-only']);
      expect(await members(b, 'shared-cohort')).toEqual(['b-braze-u-1', 'b-braze-u-2', 'b-braze-u-3', 'b-braze-u-b-only']);
    });

    it('answers 404 for B\'s cohort ids, import ids, users and braze ids guessed with A\'s key', async () => {
      const responses = await Promise.all([
        read(a, '/v1/cohorts/b-only/members'),
        read(a, `/v1/cohorts/b-only/imports/${bOnlyImport}`),
        read(a, `/v1/cohorts/shared-cohort/imports/${fixtures.b.importId}`),
        read(a, '/v1/users?external_id=u-b-only'),
        read(a, '/v1/users?braze_id=b-braze-u-1'),
      ]);

      expect(responses.map((response) => response.status)).toEqual([404, 404, 404, 404, 404]);
      expect(responses.map((response) => response.text).join(' ')).not.toMatch(/b-braze|u-b-only/);
    });

    it('answers 404 for B\'s segment ids and shows none of B\'s memberships for B\'s visitors', async () => {
      const segments = (await abTasty(a, '/abtasty/segments')).body.segments as { id: string; member_count: number }[];
      const [visitorsOf777, csvOf777, visitorOfB] = await Promise.all([
        abTasty(a, '/abtasty/segments/777/visitors'),
        abTasty(a, '/abtasty/segments/777/udc.csv'),
        abTasty(a, '/abtasty/visitors/v-b-1/segments'),
      ]);

      expect(segments.map((segment) => [segment.id, segment.member_count])).toEqual([['4242', 2]]);
      expect(await visitors(a, '4242')).toEqual(['v-a-1', 'v-a-2']);
      expect([visitorsOf777.status, csvOf777.status]).toEqual([404, 404]);
      expect(visitorOfB.status).toBe(200);
      expect(JSON.stringify(visitorOfB.body)).not.toMatch(/777|4242/);
    });

    it('shows none of B\'s Currents events, event types or rejects to A, even by B\'s braze id', async () => {
      const since = Math.floor(Date.now() / 1000) - 3600;
      const [own, guessed, byType, rejects, ownRejects] = await Promise.all([
        read(b, `/v1/users/${fixtures.b.brazeId}/events`),
        read(a, `/v1/users/${fixtures.b.brazeId}/events`),
        read(a, `/v1/events?type=users.behaviors.CustomEvent&from=${since}`),
        read(a, '/v1/currents/rejects'),
        read(b, '/v1/currents/rejects'),
      ]);

      expect((own.body.events as unknown[]).length).toBe(1);
      expect(ownRejects.body.rejects).toHaveLength(1);
      for (const response of [guessed, byType, rejects]) {
        expect(response.status === 404 || response.status === 200).toBe(true);
        expect(response.text).not.toMatch(/b-event-1|b-bad|u-b-only/);
      }
    });

    it('A\'s alias and identify calls with B\'s external ids and aliases change only A\'s directory', async () => {
      const before = await read(b, '/v1/users?external_id=u-b-only');
      const alias = await hub.request('POST', '/users/alias/new', { raw: JSON.stringify({ user_aliases: [{ external_id: 'u-b-only', alias_name: 'taken', alias_label: 'crm_id' }] }), headers: { Authorization: `Bearer ${a.apiKey}` } });
      const identify = await hub.request('POST', '/users/identify', { raw: JSON.stringify({ aliases_to_identify: [{ external_id: 'u-b-only', user_alias: { alias_name: 'taken', alias_label: 'crm_id' } }] }), headers: { Authorization: `Bearer ${a.apiKey}` } });

      expect([alias.status, identify.status]).toEqual([201, 201]);
      expect((await read(b, '/v1/users?external_id=u-b-only')).body).toEqual(before.body);
      expect((await read(b, '/v1/users?alias_label=crm_id&alias_name=taken')).status).toBe(404);
    });

    it('A\'s cohort removals and Heap drains change only A\'s sets, even for ids B uses', async () => {
      await importCohort(a, 'b-only', ['u-1', 'u-b-only'], true);
      await importCohort(a, 'shared-cohort', ['u-1', 'u-2', 'u-3', 'u-b-only'], true);
      const drain = JSON.stringify({ action_type: 'segment.users.drain', data: { segment: { id: 777 } } });
      const drainA = await hub.request('POST', `/heap/segments/${a.workspaceId}`, { raw: drain, headers: heapHeaders(a.heapWebhookSecret, drain) });
      const drainB = await hub.request('POST', `/heap/segments/${b.workspaceId}`, { raw: drain, headers: heapHeaders(a.heapWebhookSecret, drain) });
      await drained();

      expect([drainA.status, drainB.status]).toEqual([200, 403]);
      expect(await members(b, 'shared-cohort')).toEqual(['b-braze-u-1', 'b-braze-u-2', 'b-braze-u-3', 'b-braze-u-b-only']);
      expect(await members(b, 'b-only')).toEqual(['b-braze-u-1', 'b-braze-u-b-only']);
      expect(await visitors(b, '777')).toEqual(['v-b-1']);
      expect(await members(a, 'shared-cohort')).toEqual(['a-braze-u-a-only']);
    });
  });

  describe('pagination cursors are opaque, tamper-evident and bound to workspace and route', () => {
    const cursorOf = async (ws: WorkspaceCredentials, path: string, token: 'apiKey' | 'abTastyToken') => {
      const response = await hub.request('GET', `${path}?limit=1`, bearer(ws[token]));
      expect(response.status).toBe(200);
      const cursor = response.body.next_cursor as string | null;
      expect(typeof cursor).toBe('string');
      return cursor as string;
    };
    const paged = [
      { path: '/v1/cohorts', token: 'apiKey' as const },
      { path: '/v1/cohorts/shared-cohort/members', token: 'apiKey' as const },
      { path: '/abtasty/segments/4242/visitors', token: 'abTastyToken' as const },
      { path: '/v1/cohorts/b-only/members', token: 'apiKey' as const },
    ];

    it.each(paged.map((route) => [route.path, route.token]))('refuses B\'s cursor for %s replayed with A\'s key', async (path, token) => {
      const cursor = await cursorOf(b, path, token);

      const replayed = await hub.request('GET', `${path}?limit=1&cursor=${encodeURIComponent(cursor)}`, bearer(a[token]));
      const own = await hub.request('GET', `${path}?limit=1&cursor=${encodeURIComponent(cursor)}`, bearer(b[token]));

      expect(replayed.status).toBe(400);
      expect(replayed.body).toEqual({ message: 'Invalid cursor' });
      expect(own.status).toBe(200);
    });

    it('refuses an edited cursor, a cursor from another route, and shows no key or workspace id in clear', async () => {
      const cursor = await cursorOf(b, '/v1/cohorts/shared-cohort/members', 'apiKey');
      const [payload, signature] = cursor.split('.') as [string, string];
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, string>;
      const forged = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(decoded).map(([name, value]) => [name, String(value).replace(b.workspaceId, a.workspaceId)]))), 'utf8').toString('base64url');
      // The first character's 6 bits are all signature bits: changing it always changes the MAC.
      // (The last one carries 4 unused bits: an `A`/`B` flip there decodes to the same bytes.)
      const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      // Same bytes, non-canonical spelling: the last character with one unused (padding) bit set.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const respelled = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.slice(-1)) ^ 1]}`;
      const attempts = [
        `${forged}.${signature}`,
        `${payload}.${flipped}`,
        `${payload}.${respelled}`,
        `${payload}x.${signature}`,
        payload,
        `${payload}.${signature}.${signature}`,
        'e30.AAAAAAAAAAAAAAAAAAAAAA',
      ];

      const edited = await Promise.all(attempts.map((attempt) => read(b, `/v1/cohorts/shared-cohort/members?limit=1&cursor=${encodeURIComponent(attempt)}`)));
      const otherRoute = await read(b, `/v1/cohorts/b-only/members?limit=1&cursor=${encodeURIComponent(cursor)}`);
      const otherApi = await abTasty(b, `/abtasty/segments/4242/visitors?limit=1&cursor=${encodeURIComponent(cursor)}`);

      expect(edited.map((response) => response.status)).toEqual(attempts.map(() => 400));
      expect([otherRoute.status, otherApi.status]).toEqual([400, 400]);
      expect(cursor).not.toContain(b.workspaceId);
      expect(cursor).not.toMatch(/[#{}":]/);
    });
  });

  it('pushes A\'s segments to AB Tasty through the real adapters, then serves the report and A\'s visitor context (nothing of B)', async () => {
    forgetAbTastyTokens();
    // A grant failure whose answer echoes the client secret (redacted before it is logged or kept), then a revoked token (one refresh).
    fakeAbTasty.failGrants({ status: 503, message: `try later, client_secret=${AB_TASTY_CLIENT_SECRET}` });
    const reads = dynamoSetReads(hub.doc, hub.tables.cohorts);
    const plan = planDelivery({ account: 'acc-1', partner: 'heapsync', segments: 'all' }, candidatesOf(await allSegments(reads, a.workspaceId)));
    const ports = {
      tokens: abTastyTokenProvider({ clientId: AB_TASTY_CLIENT_ID, clientSecret: AB_TASTY_CLIENT_SECRET }),
      sender: abTastyUdcSender({ timeoutMs: 45_000 }), // generous: a loaded CI machine must not turn a slow stream into a retry
      members: membershipMemberSource(reads, a.workspaceId),
      clock: systemClock,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
    };
    const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 1_000 };
    const first = await deliver(ports, plan, policy);
    fakeAbTasty.revokeTokens();
    const second = await deliver(ports, plan, policy);
    const store = dynamoDeliveryReports(hub.doc, hub.tables.deliveries);
    for (const [index, report] of [first, second].entries()) await store.put(a.workspaceId, { deliveryId: `${report.startedAt}#${index}`, report });

    const listed = await read(a, '/v1/destinations/abtasty/deliveries?segment_id=4242');
    const context = await abTasty(a, '/abtasty/visitors/v-a-1/context');
    const contextOfB = await abTasty(a, '/abtasty/visitors/v-b-1/context');

    expect([first.outcome, second.outcome]).toEqual(['delivered', 'delivered']);
    expect(first.attempts.map((attempt) => attempt.step)).toEqual(['token', 'upload']);
    expect(second.attempts.map((attempt) => attempt.status)).toEqual([401, 200]);
    // The worker may have pushed A on its own too (the Heap trigger of the matrix's valid requests): count only these two.
    const ids = (listed.body.deliveries as { delivery_id: string }[]).map((delivery) => delivery.delivery_id);
    expect(ids.filter((id) => id === `${first.startedAt}#0` || id === `${second.startedAt}#1`)).toHaveLength(2);
    expect((await read(b, '/v1/destinations/abtasty/deliveries')).body.deliveries).toEqual([]);
    expect(context.body).toEqual({ 'heapsync::heap_4242': 'true' });
    expect(contextOfB.body).toEqual({});
    for (const secret of [AB_TASTY_CLIENT_SECRET, ...fakeAbTasty.issued]) expect(JSON.stringify([first, second, listed.body])).not.toContain(secret);
  });

  it('never logs a credential, a webhook secret, the local encryption key, the AB Tasty client secret or its tokens (Powertools at DEBUG, all routes exercised)', () => {
    const text = captured.join('');
    const secrets = [a, b, r, rotatedOut].flatMap((ws) => CREDENTIAL_KINDS.map((kind) => ws[kind]));
    secrets.push(hub.secretKey, AB_TASTY_CLIENT_SECRET, ...fakeAbTasty.issued);

    const leaked = secrets.filter((secret) => text.includes(secret));

    // The capture really saw the hub's logs: refusals, accepted imports and worker output.
    expect(text).toContain('request refused');
    expect(text).toContain('cohort import part applied');
    expect(text).toContain('heap segment message applied');
    // …and the AB Tasty push: grants (DEBUG), the refused grant, the UDC's answers.
    expect(text).toContain('AB Tasty token granted');
    expect(text).toContain('AB Tasty token grant refused');
    expect(text).toContain('AB Tasty UDC answered');
    expect(fakeAbTasty.issued.length).toBeGreaterThanOrEqual(2);
    expect(leaked).toEqual([]);
    summary = (`security: auth matrix ${authenticated.length} routes x ${CELLS.length} cells = ${matrixCells} cells (${matrixRequests} refused requests); ${captured.length} log writes (${text.length} chars) searched for ${secrets.length} secrets: 0 found`);
  });
});
