/**
 * Braze partner cohort import end to end on the local stack (HTTP server → SQS emulator → worker →
 * DynamoDB Local), with the request shapes Segment's braze-cohorts destination sends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { directoryStore } from '../../functions/adapters/directory';
import { claimKey } from '../../functions/adapters/dynamo/keys';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoSetWriter } from '../../functions/adapters/set-writer';
import { dynamoPartnerKeyLog } from '../../functions/adapters/partner-key-log';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { collapseIdentifierChanges } from '../../functions/domain/cohort-import-validation';
import { planMembershipMessages } from '../../functions/domain/cohort-ingest';
import { sqsMessageFits } from '../../functions/shared/enqueue';
import { importIdScope, issueImportId } from '../../functions/domain/import-ids';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { signingKeys } from '../../functions/domain/signing-keys';
import { changeVersion } from '../../functions/domain/membership';
import { BRAZE_ERRORS } from '../../functions/schemas/cohort-import';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub } from './harness';

const FIXTURES = join(__dirname, '..', 'fixtures', 'braze-cohorts');
const COHORT = 'aud_23WNzkzsTS3ydnKz5H71SEhMxls';

describe('Braze cohort import through the local stack', () => {
  let hub: TestHub;
  let creds: WorkspaceCredentials;
  let addUsersReceivedAt = '';
  const now = new Date().toISOString();

  const fixture = (name: string): Record<string, unknown> =>
    JSON.parse(
      readFileSync(join(FIXTURES, `${name}.json`), 'utf8')
        .replace('{{client_secret}}', creds.dataImportKey)
        .replace('{{partner_api_key}}', 'segment-partner-key-us'),
    );
  const post = (route: 'cohorts' | 'cohorts/users', body: unknown) => hub.request('POST', `/partners/segment/${route}`, { body });
  const read = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${creds.apiKey}` } });
  const report = (cohortId: string, importId: string) =>
    eventually(async () => {
      const response = await read(`/v1/cohorts/${encodeURIComponent(cohortId)}/imports/${importId}`);
      return response.body?.status === 'applied' ? response.body : undefined;
    }, 20000, `import ${importId} applied`);
  const members = async (cohortId: string) =>
    ((await read(`/v1/cohorts/${encodeURIComponent(cohortId)}/members`)).body.members as { braze_id: string }[]).map((m) => m.braze_id).sort();
  const cohort = async (cohortId: string) =>
    ((await read('/v1/cohorts')).body.cohorts as { id: string }[]).find((c) => c.id === cohortId) as Record<string, unknown> | undefined;
  const itemCount = async (table: string) => (await hub.doc.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count;

  beforeAll(async () => {
    // 5 s visibility: no test here relies on redelivery, and a slow run on a busy machine should
    // not see a message redelivered while it is still being processed.
    hub = await startTestHub({ visibilitySeconds: 5 });
    creds = await hub.createWorkspace({ partnerName: 'segment' });
    const ws = creds.workspaceId;
    // Profiles through the directory's own write paths.
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const profile = async (brazeId: string, ...identifiers: Parameters<typeof directory.claim>[2][]) => {
      await directory.createProfile(ws, brazeId, now);
      for (const identifier of identifiers) expect(await directory.claim(ws, brazeId, identifier, now)).toBe('claimed');
    };
    await profile('b-anon', { kind: 'device_id', value: 'dev-anon' });
    await profile('b-anon-2', { kind: 'device_id', value: 'dev-anon-2' });
    // Identified profile that had a device id while anonymous: device first, then the external id.
    await profile(
      'b-known',
      { kind: 'device_id', value: 'dev-known-old' },
      { kind: 'external_id', value: 'user-known' },
      { kind: 'alias', label: 'email', name: 'known@example.com' },
    );
    // claim() decides ownerIdentified at claim time only; identifying a profile must flip it on its
    // older device claims (the Currents identify path's job). Done here by hand.
    await hub.doc.send(
      new UpdateCommand({
        TableName: hub.tables.aliases,
        Key: claimKey(ws, 'dev#dev-known-old'),
        UpdateExpression: 'SET ownerIdentified = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
    await profile('b-second', { kind: 'external_id', value: 'user-second' }, { kind: 'alias', label: 'ABTastyVisitorId', name: 'VIS-123' });
    await profile('b-crm', { kind: 'alias', label: 'crm_id', name: 'c-9' });
  });
  afterAll(() => hub.stop());

  it('answers the connection probe 201 with good keys and 401 with a bad data import key, creating nothing', async () => {
    const good = await post('cohorts/users', fixture('probe'));
    const bad = await post('cohorts/users', { ...fixture('probe'), client_secret: 'hub_dik_not-a-key' });

    expect(good.status).toBe(201);
    expect(good.body).toEqual({ message: 'success' });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ message: BRAZE_ERRORS.invalidClientSecret, errors: [BRAZE_ERRORS.invalidClientSecret] });
    expect(await cohort('will_add_in_constant')).toBeUndefined();
  });

  it('creates the cohort from /cohorts and sends X-RateLimit headers', async () => {
    const response = await post('cohorts', fixture('create-cohort'));

    expect(response.status).toBe(201);
    expect(response.headers.get('x-ratelimit-limit')).toBe('250000');
    expect(Number(response.headers.get('x-ratelimit-remaining'))).toBeLessThan(250000);
    await report(COHORT, response.body.import_id);
    expect(await cohort(COHORT)).toMatchObject({
      name: 'j_o_jons__step_1_ns3i7',
      source_partner: 'segment',
      created_at: '2024-05-02T10:15:00.000Z',
      member_count: 0,
    });
  });

  it('adds exactly the existing profiles, never by the device id of an identified profile, and creates nothing', async () => {
    const usersBefore = await itemCount(hub.tables.users);
    const claimsBefore = await itemCount(hub.tables.aliases);

    const response = await post('cohorts/users', fixture('add-users'));
    const done = await report(COHORT, response.body.import_id);

    expect(response.status).toBe(201);
    expect(done).toMatchObject({
      status: 'applied',
      received: { user_ids: 3, device_ids: 3, aliases: 1, total: 7 },
      matched: 4,
      unmatched: 3,
      added: 4,
      removed: 0,
      duplicate: 0,
      conflicts: 0,
    });
    addUsersReceivedAt = done.received_at;
    expect([...done.unmatched_samples].sort()).toEqual(['dev-ghost', 'dev-known-old', 'user-ghost']);
    expect(await members(COHORT)).toEqual(['b-anon', 'b-crm', 'b-known', 'b-second']);
    expect(await cohort(COHORT)).toMatchObject({ member_count: 4 });
    expect(await itemCount(hub.tables.users)).toBe(usersBefore);
    expect(await itemCount(hub.tables.aliases)).toBe(claimsBefore);
  });

  it('applies an add object and a remove object of one request', async () => {
    const response = await post('cohorts/users', fixture('add-and-remove'));
    const done = await report(COHORT, response.body.import_id);

    expect(done).toMatchObject({ matched: 3, unmatched: 0, added: 1, removed: 1, unchanged: 1 });
    expect(await members(COHORT)).toEqual(['b-anon', 'b-anon-2', 'b-crm', 'b-second']);
    expect(await cohort(COHORT)).toMatchObject({ member_count: 4 });
  });

  it('lets the remove win when one request adds and removes the same user, and reports the conflict', async () => {
    const response = await post('cohorts/users', fixture('add-and-remove-same-user'));
    const done = await report(COHORT, response.body.import_id);

    expect(done).toMatchObject({ removed: 1, added: 0, duplicate: 1, conflicts: 1, conflict_samples: ['crm_id:c-9'] });
    expect(await members(COHORT)).toEqual(['b-anon', 'b-anon-2', 'b-second']);
    expect(await cohort(COHORT)).toMatchObject({ member_count: 3 });
  });

  it('a replayed older delta changes nothing', async () => {
    // The first delta added user-known; a later one removed it. Replay the first one's message
    // (same receive time, a dedupe key the idempotency layer has not seen).
    const olderAt = Date.parse(addUsersReceivedAt);
    const [body] = planMembershipMessages(
      { workspaceId: creds.workspaceId, partner: 'segment', cohortId: COHORT, importId: 'imp_replayed-older-delta', receivedAt: olderAt },
      collapseIdentifierChanges([{ identifier: { kind: 'external_id', value: 'user-known' }, op: 'add' }]),
      { user_ids: 1, device_ids: 0, aliases: 0 },
      sqsMessageFits,
    ) ?? [];

    await hub.sqs.send(new SendMessageCommand({ QueueUrl: hub.queues.cohortImport.url, MessageBody: body! }));
    const done = await report(COHORT, 'imp_replayed-older-delta');

    expect(done).toMatchObject({ matched: 1, added: 0, removed: 0, unchanged: 0, stale: 1 });
    expect(await members(COHORT)).toEqual(['b-anon', 'b-anon-2', 'b-second']);
    expect(await cohort(COHORT)).toMatchObject({ member_count: 3 });
  });

  it('refuses 1,001 identifiers with 400 and queues nothing', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `user-${i}`);

    const response = await post('cohorts/users', { ...fixture('add-users'), cohort_id: 'too-big', cohort_changes: [{ user_ids: ids, device_ids: [], aliases: [] }] });
    // A later accepted import for another cohort is applied; the refused one never shows up.
    const later = await post('cohorts/users', { ...fixture('add-users'), cohort_id: 'after-too-big' });
    await report('after-too-big', later.body.import_id);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: BRAZE_ERRORS.tooManyIdentifiers, errors: [BRAZE_ERRORS.tooManyIdentifiers] });
    expect(await cohort('too-big')).toBeUndefined();
    expect(await cohort('after-too-big')).toMatchObject({ name: 'after-too-big', member_count: 4 });
  });

  it('answers 413 for a body over the limit and 400 for a body that is not JSON', async () => {
    const huge = await hub.request('POST', '/partners/segment/cohorts/users', { raw: JSON.stringify({ pad: 'x'.repeat(2_100_000) }) });
    const notJson = await hub.request('POST', '/partners/segment/cohorts/users', { raw: 'cohort_id=1' });

    expect(huge.status).toBe(413);
    expect(notJson.status).toBe(400);
  });

  it('keeps the first created_at on a re-post and shows the new name in every read', async () => {
    const response = await post('cohorts', fixture('rename-cohort'));
    await report(COHORT, response.body.import_id);

    const listed = await cohort(COHORT);
    const page = (await read(`/v1/cohorts/${COHORT}/members`)).body;
    const user = (await read('/v1/users?external_id=user-second')).body;

    expect(listed).toMatchObject({ name: 'High intent shoppers', created_at: '2024-05-02T10:15:00.000Z' });
    expect(page.cohort.name).toBe('High intent shoppers');
    expect(user.cohorts).toEqual(expect.arrayContaining([{ id: COHORT, name: 'High intent shoppers' }]));
  });

  it('ignores a rename older than the current name', async () => {
    const sets = dynamoSetWriter(hub.doc, hub.tables.cohorts);

    const applied = await sets.renameSet({ workspaceId: creds.workspaceId, kind: 'cohort', setId: COHORT }, 'Stale name', changeVersion(Date.parse('2020-01-01T00:00:00Z'), 'imp_old'), now);

    expect(applied).toBe(false);
    expect(await cohort(COHORT)).toMatchObject({ name: 'High intent shoppers' });
  });

  it('records which partner key fingerprints were seen, never the key', async () => {
    const seen = await dynamoPartnerKeyLog(hub.doc, hub.tables.workspaces).list(creds.workspaceId);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ partner: 'segment' });
    expect(seen[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  describe('read API', () => {
    it('pages members with a signed cursor', async () => {
      const first = (await read(`/v1/cohorts/${COHORT}/members?limit=2`)).body;
      const second = (await read(`/v1/cohorts/${COHORT}/members?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`)).body;
      const forged = await read(`/v1/cohorts/${COHORT}/members?limit=2&cursor=${encodeURIComponent(`${first.next_cursor}x`)}`);

      // Partition by partition (adapters/member-partitions.ts): two, then the last one, each member once.
      expect(first.members).toHaveLength(2);
      expect(second.members).toHaveLength(1);
      expect([...first.members, ...second.members].sort((a: { braze_id: string }, b: { braze_id: string }) => a.braze_id.localeCompare(b.braze_id))).toEqual([
        { braze_id: 'b-anon', external_id: null },
        { braze_id: 'b-anon-2', external_id: null },
        { braze_id: 'b-second', external_id: 'user-second' },
      ]);
      expect(second.next_cursor).toBeNull();
      expect(forged.status).toBe(400);
    });

    it('finds a user by each identifier kind, with its cohorts and its Heap segments', async () => {
      const ws = creds.workspaceId;
      const segment = { workspaceId: ws, kind: 'segment' as const, setId: '4242' };
      await dynamoSetWriter(hub.doc, hub.tables.cohorts).upsertSet(segment, { name: 'Heap: cart abandoners', createdAt: now, now });
      await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(segment, 'visitor', [{ memberId: 'vis-123', op: 'add' }], changeVersion(Date.now(), 't'), now);

      const byExternal = (await read('/v1/users?external_id=user-second')).body;
      const byAlias = (await read('/v1/users?alias_label=ABTastyVisitorId&alias_name=VIS-123')).body;
      const byBraze = (await read('/v1/users?braze_id=b-second')).body;
      const byDevice = (await read('/v1/users?device_id=dev-anon')).body;

      expect(byExternal).toEqual({
        braze_id: 'b-second',
        external_id: 'user-second',
        aliases: [{ alias_label: 'ABTastyVisitorId', alias_name: 'VIS-123' }],
        device_ids: [],
        cohorts: expect.arrayContaining([{ id: COHORT, name: 'High intent shoppers' }, { id: 'after-too-big', name: 'after-too-big' }]),
        heap_segments: [{ id: '4242', name: 'Heap: cart abandoners' }],
      });
      expect(byAlias).toEqual(byExternal);
      expect(byBraze).toEqual(byExternal);
      expect(byDevice).toMatchObject({ braze_id: 'b-anon', external_id: null, device_ids: ['dev-anon'], heap_segments: [] });
    });

    it('answers 404 for unknown users, cohorts and imports, 400 for an ambiguous query and 401 without the api key', async () => {
      const unknownUser = await read('/v1/users?external_id=user-ghost');
      const ambiguous = await read('/v1/users?external_id=a&device_id=b');
      const unknownCohort = await read('/v1/cohorts/no-such-cohort/members');
      const unknownImport = await read(`/v1/cohorts/${COHORT}/imports/imp_made-up`);
      const noKey = await hub.request('GET', '/v1/cohorts');

      expect(unknownUser.status).toBe(404);
      expect(ambiguous.status).toBe(400);
      expect(unknownCohort).toMatchObject({ status: 404, body: { message: 'Cohort not found: "no-such-cohort"' } });
      expect(unknownImport.status).toBe(404);
      expect(noKey.status).toBe(401);
    });

    it('answers "queued" for an import id the hub issued that is not processed yet', async () => {
      const workspace = await dynamoWorkspaceStore(hub.doc, hub.tables.workspaces).get(creds.workspaceId);
      const importId = issueImportId(importIdScope(await signingKeys(localSecretBox(hub.secretKey)).forWorkspace(workspace!)), 'not-yet', Date.now());

      const response = await read(`/v1/cohorts/not-yet/imports/${importId}`);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ import_id: importId, cohort_id: 'not-yet', status: 'queued' });
    });
  });
});
