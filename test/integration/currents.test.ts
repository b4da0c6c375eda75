import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { directoryStore } from '../../functions/adapters/directory';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { eventSk, userEventsPk } from '../../functions/adapters/dynamo/keys';
import { changeVersion, type SetRef } from '../../functions/domain/membership';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { folderEventArchive } from '../../functions/adapters/event-archive';
import { dynamoEventStore } from '../../functions/adapters/events-store';
import { processCurrentsMessage } from '../../functions/domain/currents';
import { archiveMessageId } from '../../functions/domain/event-archive';
import type { CurrentsEvent } from '../../functions/schemas/currents';
import { eventually, startTestHub, type TestHub } from './harness';

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/currents/all-event-types.json'), 'utf8')) as {
  events: { id: string; event_type: string; time: number; user: { user_id?: string } }[];
};

/** Every archive file under `dir` (relative key → its JSON lines). */
const archiveFiles = (dir: string): Map<string, Record<string, unknown>[]> => {
  const files = new Map<string, Record<string, unknown>[]>();
  const walk = (at: string) => {
    // Dirents, not stat: a worker's temporary file may be renamed away meanwhile (only final `.json.gz` names are read).
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json.gz')) files.set(relative(dir, path), gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
    }
  };
  walk(dir);
  return files;
};

let sequence = 0;
const hex24 = (label: string) => createHash('sha256').update(`${label}-${(sequence += 1)}-${Date.now()}-${Math.random()}`).digest('hex').slice(0, 24);
const event = (user: Record<string, string>, overrides: Record<string, unknown> = {}) => ({
  id: `evt-${(sequence += 1)}-${Math.random().toString(36).slice(2)}`,
  event_type: 'users.behaviors.CustomEvent',
  time: 1_763_900_000 + sequence,
  user,
  properties: { app_group_id: 'ag', name: 'viewed', custom_properties: { n: sequence } },
  ...overrides,
});

describe('Braze Currents ingest through the local hub', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  beforeAll(async () => {
    hub = await startTestHub({ env: { POWERTOOLS_LOG_LEVEL: process.env.HUB_TEST_LOGS ?? 'SILENT' } });
    ws = await hub.createWorkspace();
  });
  afterAll(() => hub.stop());

  const directory = () => directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
  const post = (body: unknown, options: { token?: string | null; query?: string; raw?: string } = {}) =>
    hub.request('POST', `/currents${options.query ?? ''}`, {
      ...(options.raw !== undefined ? { raw: options.raw } : { body }),
      headers: {
        'Braze-Currents-Version': '1',
        ...(options.token === null ? {} : { Authorization: `Bearer ${options.token ?? ws.currentsToken}` }),
      },
    });
  const api = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
  const storedEvent = async (brazeId: string | undefined, e: { id: string; time: number }) =>
    (await hub.doc.send(new GetCommand({ TableName: hub.tables.events, Key: { pk: userEventsPk(ws.workspaceId, brazeId), sk: eventSk(e.time * 1000, e.id) } }))).Item;
  const profile = (brazeId: string) => directory().getProfile(ws.workspaceId, brazeId);
  const claim = async (key: string) => (await directory().resolveClaims(ws.workspaceId, [key])).get(key);

  describe('credentials and answer codes', () => {
    it.each([
      ['an empty body', ''],
      ['an empty events array', '{"events":[]}'],
      ['a full batch', JSON.stringify({ events: [event({ user_id: 'aaaaaaaaaaaaaaaaaaaaaaaa' })] })],
    ])('answers 401 to a wrong token even on %s', async (_what, raw) => {
      const response = await post(undefined, { raw, token: 'not-the-token' });

      expect(response.status).toBe(401);
    });

    it('answers 401 without an Authorization header', async () => {
      expect((await post({ events: [] }, { token: null })).status).toBe(401);
    });

    it('answers 401 when the workspace query parameter names another workspace', async () => {
      const other = await hub.createWorkspace();

      expect((await post({ events: [] }, { query: `?workspace=${other.workspaceId}` })).status).toBe(401);
      expect((await post({ events: [] }, { query: `?workspace=${ws.workspaceId}` })).status).toBe(200);
    });

    it('answers 2xx to a credential check with a good token', async () => {
      expect((await post(undefined, { raw: '' })).status).toBe(200);
      expect((await post({ events: [] })).status).toBe(200);
    });

    it('answers 400 only when the body is not a JSON object with an events array', async () => {
      expect((await post({ data: [] })).status).toBe(400);
      expect((await post(undefined, { raw: '{"events": [' })).status).toBe(400);
    });

    it('answers 413 to a body over the limit, before reading it', async () => {
      const response = await post(undefined, { raw: JSON.stringify({ events: [event({}, { properties: { x: 'y'.repeat(6_100_000) } })] }) });

      expect(response.status).toBe(413);
    });
  });

  it('accepts a batch holding every documented event type and stores every event with all its fields', async () => {
    const response = await post(fixture);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ message: 'success', events: fixture.events.length, rejected: 0 });
    for (const e of fixture.events) {
      const item = await eventually(() => storedEvent(e.user.user_id, e), 20_000, `event ${e.event_type}`);
      expect(JSON.parse(item.event as string)).toEqual(e);
    }
    const purchase = fixture.events.find((e) => e.event_type === 'users.behaviors.Purchase')!;
    const byType = await api(`/v1/events?type=users.behaviors.Purchase&from=${purchase.time - 86_400}&to=${purchase.time + 1}`);
    expect(byType.status).toBe(200);
    expect(byType.body.events).toEqual([purchase]);
    const unknownType = fixture.events.find((e) => e.event_type === 'users.behaviors.SomethingNew')!;
    const read = await api(`/v1/users/${unknownType.user.user_id}/events?type=users.behaviors.SomethingNew`);
    expect(read.status).toBe(200);
    expect(read.body.events).toEqual([unknownType]);
  });

  it('stores each event once when the same batch arrives twice, and when it comes back split', async () => {
    const brazeId = hex24('dup');
    const batch = { events: [event({ user_id: brazeId }), event({ user_id: brazeId }), event({ user_id: brazeId })] };

    expect((await post(batch)).status).toBe(200);
    expect((await post(batch)).status).toBe(200);
    expect((await post({ events: [batch.events[1], event({ user_id: brazeId })] })).status).toBe(200);

    const events = await eventually(async () => {
      const read = await api(`/v1/users/${brazeId}/events`);
      return read.body.events.length === 4 ? read.body.events : undefined;
    });
    expect(new Set(events.map((e: { id: string }) => e.id)).size).toBe(4);
  });

  describe('archive and hot window', () => {
    it('archives every event of a batch as JSON lines under currents/dt=/type=/ and keeps it in DynamoDB for the hot window only', async () => {
      const brazeId = hex24('archive');
      const batch = { events: [event({ user_id: brazeId }), event({ user_id: brazeId }, { event_type: 'users.behaviors.Purchase' }), event({})] };
      const before = Math.floor(Date.now() / 1000);
      expect((await post(batch)).status).toBe(200);

      const ids = new Set(batch.events.map((e) => e.id));
      const lines = await eventually(() => {
        const found = [...archiveFiles(hub.archiveDir).entries()].flatMap(([key, rows]) => rows.filter((row) => ids.has(row.id as string)).map((row) => ({ key, row })));
        return Promise.resolve(found.length === ids.size ? found : undefined);
      }, 20_000, 'the archived events');
      for (const { key, row } of lines) {
        const sent = batch.events.find((e) => e.id === row.id)!;
        expect(key).toMatch(new RegExp(`^currents/dt=2025-11-2[34]/type=${sent.event_type.replace(/\./g, '\\.')}/[0-9a-f]{32}\\.json\\.gz$`));
        expect(row).toMatchObject({ workspace_id: ws.workspaceId, id: sent.id, event_type: sent.event_type, time: sent.time });
        expect(JSON.parse(row.event as string)).toEqual(sent);
      }

      const stored = await eventually(() => storedEvent(brazeId, batch.events[0]!), 20_000, 'the stored event');
      // Received now, long after the event's time: the 30-day window counts from receipt.
      expect(stored.expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400);
      expect(stored.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 30 * 86_400);
    });

    it('a redelivered message rewrites the same archive objects with the same bytes and the same event items', async () => {
      const brazeId = hex24('redeliver');
      const events = [event({ user_id: brazeId }), event({ user_id: brazeId }, { event_type: 'users.behaviors.app.SessionStart' })] as unknown as CurrentsEvent[];
      const message = { dedupeKey: `currents#${ws.workspaceId}#redeliver-${brazeId}`, workspaceId: ws.workspaceId, receivedAt: Date.now(), batchId: 'b-redeliver', events, packed: [], rejects: [] };
      const deps = {
        directory: directory(),
        membership: { apply: (...args: Parameters<ReturnType<typeof dynamoMembershipStore>['apply']>) => dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(...args), setsOfMember: (...args: Parameters<ReturnType<typeof dynamoSetReads>['setsOfMember']>) => dynamoSetReads(hub.doc, hub.tables.cohorts).setsOfMember(...args) },
        events: dynamoEventStore(hub.doc, { events: hub.tables.events, idempotency: hub.tables.idempotency }),
        archive: folderEventArchive(hub.archiveDir),
        clock: { now: () => Date.now() },
        hotDays: 30,
      };
      const ours = () => new Map([...archiveFiles(hub.archiveDir)].filter(([key]) => key.includes(archiveMessageId(message.dedupeKey))));

      const first = await processCurrentsMessage(deps, message);
      const afterFirst = ours();
      const items = await Promise.all(events.map((e) => storedEvent(brazeId, e)));
      const second = await processCurrentsMessage(deps, message);

      expect(first).toMatchObject({ stored: 2, archiveObjects: 2 });
      expect(second).toMatchObject({ stored: 2, archiveObjects: 2, duplicates: 0 });
      expect(afterFirst.size).toBe(2);
      expect(ours()).toEqual(afterFirst);
      expect(await Promise.all(events.map((e) => storedEvent(brazeId, e)))).toEqual(items);
    });
  });

  it('turns an anonymous device that gets identified into one identified profile whose old device id no longer matches', async () => {
    const brazeId = hex24('anon');
    const deviceId = `device-${brazeId}`;
    await post({ events: [event({ user_id: brazeId, device_id: deviceId })] });
    await eventually(async () => ((await claim(`dev#${deviceId}`))?.profileId === brazeId ? true : undefined));
    expect((await claim(`dev#${deviceId}`))?.ownerIdentified).toBe(false);

    await post({ events: [event({ user_id: brazeId, external_user_id: `customer-${brazeId}` })] });

    const identified = await eventually(async () => ((await profile(brazeId))?.externalId ? profile(brazeId) : undefined));
    expect(identified).toMatchObject({ externalId: `customer-${brazeId}`, deviceIds: [deviceId] });
    expect(await claim(`dev#${deviceId}`)).toMatchObject({ profileId: brazeId, ownerIdentified: true });
  });

  describe('merges and deletions', () => {
    const cohort = (): SetRef => ({ workspaceId: ws.workspaceId, kind: 'cohort', setId: 'merge-cohort' });
    const memberships = () => dynamoMembershipStore(hub.doc, hub.tables.cohorts);
    const reads = () => dynamoSetReads(hub.doc, hub.tables.cohorts);
    const cohortsOf = async (brazeId: string) => (await reads().setsOfMember(ws.workspaceId, 'profile', brazeId, 'cohort')).map((set) => set.setId);

    it('merges an anonymous profile into the holder of its new external_id (Braze orphan rule), cohorts included', async () => {
      const known = hex24('known');
      const anon = hex24('anon');
      const externalId = `customer-${known}`;
      await post({ events: [event({ user_id: known, external_user_id: externalId }), event({ user_id: anon, device_id: `dev-${anon}` })] });
      await eventually(async () => ((await profile(anon)) && (await profile(known))?.externalId ? true : undefined));
      await memberships().apply(cohort(), 'profile', [{ memberId: anon, op: 'add' }], changeVersion(Date.now() - 60_000, 'import-1'), new Date().toISOString());

      await post({ events: [event({ user_id: anon, external_user_id: externalId, device_id: `dev-${anon}` })] });

      // The merge's last step moves the memberships: wait for it, then check everything.
      await eventually(async () => ((await cohortsOf(known)).length > 0 ? true : undefined));
      expect((await profile(anon))?.mergedInto).toBe(known);
      expect(await claim(`dev#dev-${anon}`)).toMatchObject({ profileId: known, ownerIdentified: true });
      expect(await cohortsOf(anon)).toEqual([]);
      expect(await cohortsOf(known)).toEqual(['merge-cohort']);
    });

    it('merges on users.UserOrphan into orphaned_by_id', async () => {
      const survivor = hex24('survivor');
      const orphan = hex24('orphan');
      await post({ events: [event({ user_id: survivor, external_user_id: `customer-${survivor}` }), event({ user_id: orphan, device_id: `dev-${orphan}` })] });
      await eventually(async () => ((await claim(`dev#dev-${orphan}`)) ? true : undefined));

      await post({ events: [event({ user_id: orphan }, { event_type: 'users.UserOrphan', properties: { app_group_id: 'ag', orphaned_by_id: survivor } })] });

      await eventually(async () => ((await claim(`dev#dev-${orphan}`))?.profileId === survivor ? true : undefined));
      expect((await profile(orphan))?.mergedInto).toBe(survivor);
      expect(await claim(`dev#dev-${orphan}`)).toMatchObject({ profileId: survivor, ownerIdentified: true });
    });

    it('removes the profile, its identifiers and its memberships on users.UserDeleteRequest', async () => {
      const gone = hex24('gone');
      const first = event({ user_id: gone, external_user_id: `customer-${gone}`, device_id: `dev-${gone}` });
      await post({ events: [first] });
      await eventually(async () => ((await profile(gone))?.externalId ? true : undefined));
      await memberships().apply(cohort(), 'profile', [{ memberId: gone, op: 'add' }], changeVersion(Date.now() - 60_000, 'import-2'), new Date().toISOString());
      const deletion = event({ user_id: gone }, { event_type: 'users.UserDeleteRequest', properties: { app_group_id: 'ag' } });

      await post({ events: [deletion] });

      // Deletion order: tombstone, claims, memberships, stored events — wait for the last.
      await eventually(async () => ((await api(`/v1/users/${gone}/events`)).body.events[0]?.id === deletion.id ? true : undefined));
      expect(await profile(gone)).toMatchObject({ aliases: {}, deviceIds: [] });
      expect((await profile(gone))?.externalId).toBeUndefined();
      expect(await claim(`ext#customer-${gone}`)).toBeUndefined();
      expect(await claim(`dev#dev-${gone}`)).toBeUndefined();
      expect(await cohortsOf(gone)).toEqual([]);
      const read = await api(`/v1/users/${gone}/events`);
      expect(read.body.events.map((e: { id: string }) => e.id)).toEqual([deletion.id]);
    });
  });

  it('accepts a batch with one malformed event and keeps the bad one in the rejects store', async () => {
    const brazeId = hex24('rej');
    const good = event({ user_id: brazeId });
    const bad = { id: `bad-${brazeId}`, event_type: 'users.behaviors.CustomEvent', time: 'yesterday', user: { user_id: brazeId } };

    const response = await post({ events: [good, bad] });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ events: 1, rejected: 1 });
    await eventually(() => storedEvent(brazeId, good));
    const rejects = await eventually(async () => {
      const read = await api('/v1/currents/rejects');
      return read.body.rejects.find((reject: { raw: string }) => reject.raw.includes(bad.id));
    });
    expect(rejects).toMatchObject({ index: 1, reason: 'time must be an integer number of UNIX seconds' });
    expect(JSON.parse(rejects.raw)).toEqual(bad);
  });

  describe('alias management', () => {
    const postApi = (path: string, body: unknown) => hub.request('POST', path, { body, headers: { Authorization: `Bearer ${ws.apiKey}` } });

    it('creates an alias-only user and identifies it into the existing identified user', async () => {
      const known = hex24('alias-known');
      await post({ events: [event({ user_id: known, external_user_id: `customer-${known}` })] });
      await eventually(async () => ((await profile(known))?.externalId ? true : undefined));

      const created = await postApi('/users/alias/new', { user_aliases: [{ alias_name: `crm-${known}`, alias_label: 'crm' }] });
      const identified = await postApi('/users/identify', {
        aliases_to_identify: [{ external_id: `customer-${known}`, user_alias: { alias_name: `crm-${known}`, alias_label: 'crm' } }],
      });

      expect(created).toMatchObject({ status: 201, body: { message: 'success', aliases_processed: 1 } });
      expect(identified).toMatchObject({ status: 201, body: { message: 'success', aliases_processed: 1 } });
      expect(await claim(`alias#crm#crm-${known}`)).toMatchObject({ profileId: known });
      expect((await profile(known))?.aliases).toEqual({ crm: `crm-${known}` });
    });

    it('answers 400 to more than 50 aliases and 401 without the apiKey', async () => {
      const many = { user_aliases: Array.from({ length: 51 }, (_, i) => ({ alias_name: `n${i}`, alias_label: 'l' })) };

      expect((await postApi('/users/alias/new', many)).status).toBe(400);
      expect((await hub.request('POST', '/users/alias/new', { body: many, headers: { Authorization: `Bearer ${ws.currentsToken}` } })).status).toBe(401);
    });
  });
});
