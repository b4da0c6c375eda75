import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queuePublisher } from '../../functions/adapters/queue-publisher';
import { changeVersion } from '../../functions/domain/membership';
import { FUTURE_TOLERANCE_MS, collapseAudienceChanges, planSegmentMessages, readAudienceEvent, readSegmentBody, type AudienceChange } from '../../functions/domain/segment-audiences';
import { acceptSegmentAudiences } from '../../functions/domain/segment-ingest';
import { segmentRoutes } from '../../functions/handlers/http/segment';
import { sqsMessageFits } from '../../functions/shared/enqueue';
import { importIdScope, verifyImportId } from '../../functions/domain/import-ids';
import { cohortImportMessageSchema, type CohortImportMessage } from '../../functions/schemas/cohort-import';
import { fakeSender } from './fakes/cohort-import';
import { SEGMENT_TOKEN, workspaceRecord } from './fakes/workspace-record';
import { fakeSigningKeys, fakeWorkspaceStore } from './fakes/workspaces';
import { httpRequest, refusalOf, respond } from './support/http-routes';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'segment', `${name}.json`), 'utf8'));
const raw = (name: string): string => readFileSync(join(__dirname, '..', 'fixtures', 'segment', `${name}.json`), 'utf8');

const audienceEvent = (fields: Record<string, unknown> = {}, personas: Record<string, unknown> = {}) => ({
  type: 'identify',
  userId: 'u1',
  messageId: 'm-1',
  timestamp: '2025-06-01T10:00:00Z',
  traits: { vip: true },
  context: { personas: { computation_class: 'audience', computation_id: 'aud_1', computation_key: 'vip', ...personas } },
  ...fields,
});
const changeOf = (item: unknown): AudienceChange => {
  const reading = readAudienceEvent(item, NOW);
  if (reading.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(reading)}`);
  return reading.change;
};

describe('Segment Engage audience events → membership changes', () => {
  it('maps an audience identify like braze-cohorts: computation_id → cohort, computation_key → name, userId → external_id, traits.<key> → add', () => {
    expect(changeOf(fixture('identify-entered'))).toEqual({
      cohortId: 'aud_2kQ7ZnU0m9Bq4xYfR8sLwT3vJcD',
      name: 'first_time_shopper',
      identifier: { kind: 'external_id', value: 'user-known' },
      op: 'add',
      timeMs: Date.parse('2025-06-01T10:00:00.000Z'),
      version: changeVersion(Date.parse('2025-06-01T10:00:00.000Z'), 'seg#personas_2kQ7ZvXyA1bC2dE3fG4hI5jK6lM'),
    });
  });

  it('maps an Audience Exited track to a removal, versioned later than the identify that entered', () => {
    const exited = changeOf(fixture('track-exited'));

    expect(exited).toMatchObject({ cohortId: 'aud_2kQ7ZnU0m9Bq4xYfR8sLwT3vJcD', identifier: { kind: 'external_id', value: 'user-known' }, op: 'remove' });
    expect(exited.version > changeOf(fixture('identify-entered')).version).toBe(true);
  });

  it('reads a track membership from properties.<key>, else from the event name; "true"/"false" strings as booleans', () => {
    const entered = { type: 'track', event: 'Audience Entered', traits: undefined };

    expect(changeOf(audienceEvent({ ...entered, properties: { audience_key: 'vip' } })).op).toBe('add');
    expect(changeOf(audienceEvent({ ...entered, event: 'Audience Exited', properties: {} })).op).toBe('remove');
    expect(changeOf(audienceEvent({ ...entered, properties: { vip: false } })).op).toBe('remove');
    expect(changeOf(audienceEvent({ traits: { vip: 'TRUE' } })).op).toBe('add');
    expect(changeOf(audienceEvent({ traits: { vip: 'false' } })).op).toBe('remove');
  });

  it('takes one identifier per event in braze-cohorts order: userId, else context.device.id, else user_alias; anonymousId alone is none', () => {
    const device = { context: { device: { id: 'dev-1' }, personas: { computation_class: 'audience', computation_id: 'aud_1', computation_key: 'vip' } } };

    expect(changeOf(audienceEvent({ ...device })).identifier).toEqual({ kind: 'external_id', value: 'u1' });
    expect(changeOf(audienceEvent({ ...device, userId: null })).identifier).toEqual({ kind: 'device_id', value: 'dev-1' });
    expect(changeOf(audienceEvent({ userId: '', user_alias: { alias_name: 'a@b.c', alias_label: 'email' } })).identifier).toEqual({ kind: 'alias', label: 'email', name: 'a@b.c' });
    expect(readAudienceEvent(audienceEvent({ userId: undefined, anonymousId: 'anon-1' }), NOW)).toEqual({ kind: 'ignored', reason: 'no_identifier' });
  });

  it('ignores what is not audience membership: computed traits, ordinary events, other tracks of an audience, page calls', () => {
    const readings = [
      audienceEvent({}, { computation_class: 'trait' }),
      { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'x', timestamp: '2025-06-01T10:00:00Z' },
      audienceEvent({ type: 'track', event: 'Journey Step Entered' }),
      audienceEvent({ type: 'page' }),
      audienceEvent({ context: null }),
    ].map((item) => readAudienceEvent(item, NOW));

    expect(readings).toEqual([
      { kind: 'ignored', reason: 'not_audience' },
      { kind: 'ignored', reason: 'not_audience' },
      { kind: 'ignored', reason: 'other_event' },
      { kind: 'ignored', reason: 'not_audience' },
      { kind: 'ignored', reason: 'not_audience' },
    ]);
  });

  it('clamps an event time more than 5 minutes in the future to that bound, so a bogus timestamp cannot pin a membership', () => {
    const future = changeOf(audienceEvent({ timestamp: '2099-01-01T00:00:00Z', messageId: 'm-9' }));

    expect(future.version).toBe(changeVersion(NOW + FUTURE_TOLERANCE_MS, 'seg#m-9'));
  });

  it('reads a batch: changes, and the ignored events counted by reason', () => {
    const body = readSegmentBody(raw('batch'), NOW);

    expect(body.ok && { events: body.value.events, changes: body.value.changes.length, ignored: body.value.ignored }).toEqual({
      events: 8,
      changes: 5,
      ignored: { not_audience: 2, other_event: 0, no_identifier: 1 },
    });
  });

  it('refuses the whole body, naming each problem with its index, when an audience event is malformed', () => {
    const body = JSON.stringify([audienceEvent(), audienceEvent({ messageId: '', timestamp: 'yesterday' }), 'text', audienceEvent({ traits: { vip: 3 } }, { computation_id: 'x'.repeat(600) })]);

    expect(readSegmentBody(body, NOW)).toEqual({
      ok: false,
      refused: 'invalid',
      message: '3 of 4 events are not valid Engage audience events: nothing was queued',
      errors: [
        '[1] messageId must be a non-empty string of at most 256 characters',
        '[1] timestamp must be an ISO-8601 date-time',
        '[2] not a Segment event (a JSON object with a string "type")',
        '[3] context.personas.computation_id must be a non-empty string of at most 512 characters (1,022 bytes as UTF-8)',
        '[3] traits.vip must be true or false (the audience membership)',
      ],
    });
  });

  it('refuses a body that is not JSON, not an object or array, or more than 4,000 events; accepts an empty array', () => {
    const refusals = ['', 'not json', '42', '"x"', 'null', JSON.stringify(Array.from({ length: 4001 }, () => ({ type: 'track' })))].map((text) => readSegmentBody(text, NOW));

    expect(refusals.map((outcome) => !outcome.ok && outcome.message)).toEqual([
      ...Array.from({ length: 5 }, () => 'Body must be a Segment event (a JSON object) or a JSON array of events'),
      "At most 4000 events per request (lower the mapping's batch size)",
    ]);
    expect(readSegmentBody('[]', NOW)).toMatchObject({ ok: true, value: { events: 0, changes: [] } });
  });
});

describe('collapsing and planning: the same queue messages as a Braze cohort import', () => {
  const batchChanges = () => {
    const body = readSegmentBody(raw('batch'), NOW);
    if (!body.ok) throw new Error('batch fixture refused');
    return body.value.changes;
  };

  it('keeps the newest event per identifier and audience, counting duplicates and enter/exit conflicts', () => {
    const deltas = collapseAudienceChanges(batchChanges());

    expect(deltas.map((delta) => ({ ...delta, changes: delta.changes.map((change) => `${change.op}:${change.identifier.kind === 'alias' ? '' : change.identifier.value}`) }))).toEqual([
      {
        cohortId: 'aud_3HighIntent0000000000000001',
        name: 'high_intent',
        createdAt: '2025-06-03T09:00:00.000Z',
        changes: ['remove:user-1', 'add:user-2', 'add:dev-anon'],
        received: { user_ids: 3, device_ids: 1, aliases: 0 },
        duplicate: 1,
        conflicts: 1,
        conflictSamples: ['user-1'],
      },
      { cohortId: 'aud_3ChurnRisk00000000000000002', name: 'churn_risk', createdAt: '2025-06-03T09:06:00.000Z', changes: ['add:user-3'], received: { user_ids: 1, device_ids: 0, aliases: 0 }, duplicate: 0, conflicts: 0, conflictSamples: [] },
    ]);
  });

  it('plans per audience a cohort upsert (name = computation_key) and a membership delta whose changes carry their versions', async () => {
    const record = workspaceRecord();
    const ids = importIdScope(await fakeSigningKeys.forWorkspace(record));
    const planned = planSegmentMessages(record, ids, NOW, collapseAudienceChanges(batchChanges()), sqsMessageFits);

    const messages = planned!.bodies.map((body) => cohortImportMessageSchema.parse(JSON.parse(body)));
    expect(messages.map((message) => [message.type, message.cohortId, message.partner])).toEqual([
      ['cohort', 'aud_3HighIntent0000000000000001', 'segment'],
      ['members', 'aud_3HighIntent0000000000000001', 'segment'],
      ['cohort', 'aud_3ChurnRisk00000000000000002', 'segment'],
      ['members', 'aud_3ChurnRisk00000000000000002', 'segment'],
    ]);
    const [upsert, members] = messages as [Extract<CohortImportMessage, { type: 'cohort' }>, Extract<CohortImportMessage, { type: 'members' }>];
    expect(upsert).toMatchObject({ name: 'high_intent', createdAt: '2025-06-03T09:00:00.000Z', receivedAt: NOW });
    expect(members.changes[0]).toEqual({ identifier: { kind: 'external_id', value: 'user-1' }, op: 'remove', version: changeVersion(Date.parse('2025-06-03T09:05:00.000Z'), 'seg#personas_batch_0004') });
    expect(members).toMatchObject({ createdAt: '2025-06-03T09:00:00.000Z', part: 0, parts: 1, stats: { received: { user_ids: 3, device_ids: 1, aliases: 0 }, duplicate: 1, conflicts: 1 } });
    expect(planned!.imports.every((entry) => verifyImportId(ids, entry.cohortId, entry.importId) && verifyImportId(ids, entry.cohortId, entry.nameImportId))).toBe(true);
  });
});

describe('POST /segment/audiences/{workspaceId}', () => {
  const KEY = 'POST /segment/audiences/{workspaceId}';
  const setup = (failing = false) => {
    const record = workspaceRecord();
    const sender = fakeSender(failing);
    const routes = segmentRoutes(() => queuePublisher(sender, 'queue'), () => fakeWorkspaceStore(record), () => fakeSigningKeys);
    const post = (body: string, options: { token?: string; workspaceId?: string } = {}) =>
      respond(routes, KEY, httpRequest({ rawBody: body, receivedAt: NOW, pathParameters: { workspaceId: options.workspaceId ?? record.workspaceId }, headers: { authorization: `Bearer ${options.token ?? SEGMENT_TOKEN}` } }));
    return { record, sender, post };
  };

  it('queues a single event and a batch, answering 200 with the counts and the import ids per audience', async () => {
    const { sender, post } = setup();

    const single = await post(raw('identify-entered'));
    const batch = await post(raw('batch'));

    expect(single).toMatchObject({ status: 200, body: { message: 'success', events: 1, audience_events: 1, imports: [{ cohort_id: 'aud_2kQ7ZnU0m9Bq4xYfR8sLwT3vJcD' }] } });
    expect(batch).toMatchObject({ status: 200, body: { events: 8, audience_events: 5, ignored: { not_audience: 2, other_event: 0, no_identifier: 1 } } });
    expect(sender.sent).toHaveLength(2 + 4);
  });

  it('answers 200 and queues nothing for a batch of events that are not audience membership', async () => {
    const { sender, post } = setup();

    const response = await post(JSON.stringify([{ type: 'track', event: 'Order Completed', userId: 'u1' }, { type: 'page' }]));

    expect(response).toMatchObject({ status: 200, body: { events: 2, audience_events: 0, imports: [] } });
    expect(sender.sent).toEqual([]);
  });

  it('refuses with 401 and queues nothing: a wrong token, another kind of credential, or a path naming another workspace', async () => {
    const { sender, post } = setup();

    const refusals = await Promise.all([
      refusalOf(post(raw('batch'), { token: 'hub_seg_wrong' })),
      refusalOf(post(raw('batch'), { token: 'hub_cur_test' })),
      refusalOf(post(raw('batch'), { workspaceId: 'ws-other' })),
    ]);

    expect(refusals.map((refused) => [refused.status, refused.message])).toEqual(Array.from({ length: 3 }, () => [401, 'Unauthorized access']));
    expect(sender.sent).toEqual([]);
  });

  it('answers 400 with the problems and queues nothing for a malformed audience event; 503 when the queue refuses', async () => {
    const bad = await refusalOf(setup().post(JSON.stringify(audienceEvent({ timestamp: 12 }))));
    const down = await setup(true).post(raw('identify-entered'));

    expect(bad).toMatchObject({ status: 400, errors: ['timestamp must be an ISO-8601 date-time'] });
    expect(down.status).toBe(503);
  });

  it('acceptSegmentAudiences refuses a path that is not the token workspace before reading the body', async () => {
    const sender = fakeSender();

    const outcome = await acceptSegmentAudiences({ publisher: queuePublisher(sender, 'q'), signingKeys: fakeSigningKeys }, workspaceRecord(), { workspaceId: undefined, rawBody: raw('batch'), receivedAt: NOW });

    expect(outcome).toEqual({ kind: 'wrong-workspace' });
    expect(sender.sent).toEqual([]);
  });
});
