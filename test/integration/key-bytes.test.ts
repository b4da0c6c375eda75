/**
 * DynamoDB key byte limits at the edge, through the real handlers on DynamoDB Local and the SQS
 * emulator: input whose key would not fit is refused in the partner's convention before anything
 * is queued (Braze 400, a Currents per-event reject, a read API 400), and input exactly at each
 * budget is accepted, processed by the real workers and readable — with every DLQ empty.
 */
import { signHeapBody } from '../../functions/domain/heap-signature';
import { KEY_BYTES, identifierKeyBytes, utf8Bytes } from '../../functions/schemas/key-bytes';
import { BRAZE_ERRORS } from '../../functions/schemas/cohort-import';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { startTestHub, type TestHub } from './harness';
import { dlqDepths, drainThroughWorkers, queueDepth } from './worker-drain';
import { QUEUES } from '../../functions/shared/definitions/queues';

/** A string of exactly `bytes` UTF-8 bytes made of 3-byte CJK characters (and ASCII to round off). */
const cjk = (bytes: number, tag = '') => `${tag}${'漢'.repeat(Math.floor((bytes - tag.length) / 3))}${'a'.repeat((bytes - tag.length) % 3)}`;
/** A string that escapes (`#` → `%23`) to exactly `bytes` bytes. */
const hashes = (bytes: number, tag = '') => `${tag}${'#'.repeat(Math.floor((bytes - tag.length) / 3))}${'b'.repeat((bytes - tag.length) % 3)}`;

/** Every queue the stack defines, each with an empty DLQ. */
const NO_DLQ = Object.fromEntries(Object.keys(QUEUES).map((queue) => [queue, 0]));

describe('DynamoDB key byte limits at the edge', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false, visibilitySeconds: 30 });
    ws = await hub.createWorkspace({ partnerName: 'segment' });
  });
  afterAll(() => hub.stop());

  const cohortPost = (path: string, body: Record<string, unknown>) =>
    hub.request('POST', `/partners/segment${path}`, { body: { partner_api_key: 'k', client_secret: ws.dataImportKey, ...body } });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const api = (path: string) => hub.request('GET', path, { headers: bearer(ws.apiKey) });
  const cohortDepth = () => queueDepth(hub.sqs, hub.queues.cohortImport.url);

  it("answers Braze's 400 to a 512-character CJK cohort_id and queues nothing", async () => {
    const cohortId = '漢'.repeat(512);

    const users = await cohortPost('/cohorts/users', { cohort_id: cohortId, cohort_changes: [{ user_ids: ['u-1', 'u-2'] }, { device_ids: ['d-1'] }] });
    const upsert = await cohortPost('/cohorts', { cohort_id: cohortId, name: 'CJK', created_at: '2026-01-01T00:00:00Z' });

    expect(users).toMatchObject({ status: 400, body: { message: BRAZE_ERRORS.cohortId, errors: [BRAZE_ERRORS.cohortId] } });
    expect(upsert).toMatchObject({ status: 400, body: { message: BRAZE_ERRORS.cohortId, errors: [BRAZE_ERRORS.cohortId] } });
    expect(await cohortDepth()).toBe(0);
  });

  it.each([
    ['a user_id', { user_ids: ['ok-1', cjk(KEY_BYTES.identifierKey - 3)] }],
    ['a device_id', { device_ids: [hashes(KEY_BYTES.identifierKey - 3)] }],
    ['an alias', { aliases: [{ alias_label: 'crm', alias_name: cjk(KEY_BYTES.identifierKey - 'alias#crm#'.length + 1) }] }],
  ])("refuses a whole request when %s is one byte over its key (Braze's 400, nothing queued)", async (_what, change) => {
    const response = await cohortPost('/cohorts/users', { cohort_id: 'bytes', cohort_changes: [{ user_ids: ['ok-2'] }, change] });

    expect(response).toMatchObject({ status: 400, body: { message: BRAZE_ERRORS.cohortChanges, errors: [BRAZE_ERRORS.cohortChanges] } });
    expect(await cohortDepth()).toBe(0);
  });

  it('answers 400 to a 3,000-byte type on GET /v1/events', async () => {
    const type = '漢'.repeat(1000);

    const response = await api(`/v1/events?type=${encodeURIComponent(type)}&from=2026-01-01`);

    expect(utf8Bytes(type)).toBe(3000);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: `type is longer than ${KEY_BYTES.eventType} bytes (UTF-8)`, errors: [`type is longer than ${KEY_BYTES.eventType} bytes (UTF-8)`] });
  });

  it('answers 400 to an over-long brazeId or identifier on the user read APIs', async () => {
    const brazeId = cjk(KEY_BYTES.brazeId + 1);

    const events = await api(`/v1/users/${encodeURIComponent(brazeId)}/events`);
    const byBrazeId = await api(`/v1/users?braze_id=${encodeURIComponent(brazeId)}`);
    const byAlias = await api(`/v1/users?alias_label=${encodeURIComponent(hashes(600))}&alias_name=${encodeURIComponent(hashes(600))}`);

    expect(events).toMatchObject({ status: 400, body: { message: `brazeId is longer than ${KEY_BYTES.brazeId} bytes (UTF-8)` } });
    expect(byBrazeId).toMatchObject({ status: 400, body: { message: `braze_id is longer than ${KEY_BYTES.brazeId} bytes (UTF-8)` } });
    expect(byAlias).toMatchObject({ status: 400, body: { errors: [expect.stringContaining('bytes')] } });
  });

  it('keeps a Heap sync_task_id of 256 emoji (1,024 bytes) as a rejected delivery (200, nothing queued) and applies one exactly at its budget', async () => {
    const page = (syncTaskId: string, visitor: string) =>
      JSON.stringify({ action_type: 'segment.users.sync', data: { segment: { id: 77, name: 'Bytes' }, sync_info: { page_number: 1, total_pages: 1, sync_task_id: syncTaskId }, add: [{ id: visitor }] } });
    const post = (raw: string) => hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw, headers: { 'Heap-Hash': signHeapBody(ws.heapWebhookSecret, raw, Date.now()) } });
    const atBudget = `${'😀'.repeat(254)}éa`;

    const over = await post(page('😀'.repeat(256), 'v-over'));
    const depthAfterRefusal = await queueDepth(hub.sqs, hub.queues.heapSync.url);
    const accepted = await post(page(atBudget, 'v-at'));
    await drainThroughWorkers(hub);

    expect([over.status, over.body?.status]).toEqual([200, 'rejected']);
    expect(depthAfterRefusal).toBe(0);
    expect([utf8Bytes(atBudget), accepted.status]).toEqual([KEY_BYTES.syncTaskId, 200]);
    expect(await dlqDepths(hub)).toEqual(NO_DLQ);
    const visitors = await hub.request('GET', '/abtasty/segments/77/visitors', { headers: bearer(ws.abTastyToken) });
    expect(JSON.stringify(visitors.body)).toContain('v-at');
  });

  it('accepts every input at its byte budget end to end — Currents, alias API, cohort import, reads — with every DLQ empty', async () => {
    // Arrange: one user whose every keyed value is exactly at its budget.
    const brazeId = cjk(KEY_BYTES.brazeId, 'u');
    const externalId = hashes(KEY_BYTES.identifierKey - 'ext#'.length, 'x');
    const deviceId = cjk(KEY_BYTES.identifierKey - 'dev#'.length, 'd');
    const alias = { alias_label: 'crm', alias_name: cjk(KEY_BYTES.identifierKey - 'alias#crm#'.length, 'n') };
    const cohortId = cjk(KEY_BYTES.cohortId, 'c');
    const atBudget = {
      id: cjk(KEY_BYTES.eventId, 'e'),
      event_type: '漢'.repeat(512),
      time: 1_763_900_000,
      user: { user_id: brazeId, external_user_id: externalId, device_id: deviceId },
    };
    const overBudget = { ...atBudget, id: cjk(KEY_BYTES.eventId + 1, 'f') };
    expect([identifierKeyBytes({ kind: 'external_id', value: externalId }), identifierKeyBytes({ kind: 'device_id', value: deviceId })]).toEqual([1024, 1024]);
    expect(identifierKeyBytes({ kind: 'alias', label: alias.alias_label, name: alias.alias_name })).toBe(1024);

    // Act
    const currents = await hub.request('POST', '/currents', { body: { events: [atBudget, overBudget] }, headers: bearer(ws.currentsToken) });
    await drainThroughWorkers(hub);
    const aliased = await hub.request('POST', '/users/alias/new', { body: { user_aliases: [{ external_id: externalId, ...alias }] }, headers: bearer(ws.apiKey) });
    const upsert = await cohortPost('/cohorts', { cohort_id: cohortId, name: 'At the budget', created_at: '2026-01-01T00:00:00Z' });
    const members = await cohortPost('/cohorts/users', { cohort_id: cohortId, cohort_changes: [{ user_ids: [externalId] }, { aliases: [alias] }, { device_ids: [deviceId] }] });
    const drained = await drainThroughWorkers(hub);

    // Assert
    expect(currents).toMatchObject({ status: 200, body: { events: 1, rejected: 1 } });
    expect(aliased).toMatchObject({ status: 201, body: { aliases_processed: 1 } });
    expect([upsert.status, members.status]).toEqual([201, 201]);
    expect(await dlqDepths(hub)).toEqual(NO_DLQ);
    expect(drained.cohortImport.failed).toBe(0);
    const rejects = await api('/v1/currents/rejects');
    expect(rejects.body.rejects).toEqual([expect.objectContaining({ index: 1, reason: `id is longer than ${KEY_BYTES.eventId} bytes (UTF-8)` })]);
    const user = await api(`/v1/users?braze_id=${encodeURIComponent(brazeId)}`);
    expect(user).toMatchObject({ status: 200, body: { braze_id: brazeId, external_id: externalId, device_ids: [deviceId], cohorts: [{ id: cohortId, name: 'At the budget' }] } });
    expect(user.body.aliases).toEqual([alias]);
    const events = await api(`/v1/users/${encodeURIComponent(brazeId)}/events`);
    expect(events.body.events.map((event: { id: string }) => event.id)).toEqual([atBudget.id]);
    const byType = await api(`/v1/events?type=${encodeURIComponent(atBudget.event_type)}&from=2025-11-01&to=2025-12-01`);
    expect(byType.body.events.map((event: { id: string }) => event.id)).toEqual([atBudget.id]);
    const cohort = await api(`/v1/cohorts/${encodeURIComponent(cohortId)}/members`);
    expect(cohort.body.members).toEqual([expect.objectContaining({ braze_id: brazeId })]);
  });
});
