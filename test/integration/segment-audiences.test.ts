/**
 * Segment Engage audiences end to end on the local stack (HTTP server → SQS emulator → cohort
 * worker → DynamoDB Local): the payloads Segment's Webhooks (Actions) destination POSTs (single and
 * batched identify/track audience events, test/fixtures/segment/) against the equivalent Braze
 * cohort deltas — the ones Segment's braze-cohorts destination would send for the same events — in
 * a second workspace with the same directory. The read API must answer the same for both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { directoryStore } from '../../functions/adapters/directory';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub } from './harness';

const FIXTURES = join(__dirname, '..', 'fixtures', 'segment');
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
const FIRST = 'aud_2kQ7ZnU0m9Bq4xYfR8sLwT3vJcD';
const HIGH = 'aud_3HighIntent0000000000000001';
const CHURN = 'aud_3ChurnRisk00000000000000002';

describe('Segment Engage audiences through the local stack, compared with the equivalent Braze cohort deltas', () => {
  let hub: TestHub;
  let braze: WorkspaceCredentials;
  let segment: WorkspaceCredentials;

  const read = (ws: WorkspaceCredentials, path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
  const applied = (ws: WorkspaceCredentials, cohortId: string, importId: string) =>
    eventually(async () => {
      const report = await read(ws, `/v1/cohorts/${cohortId}/imports/${importId}`);
      return report.body?.status === 'applied' ? report.body : undefined;
    }, 20000, `import ${importId} applied`);
  const postSegment = (raw: string, options: { token?: string; workspaceId?: string } = {}) =>
    hub.request('POST', `/segment/audiences/${options.workspaceId ?? segment.workspaceId}`, { raw, headers: { Authorization: `Bearer ${options.token ?? segment.segmentToken}` } });
  /** POSTs Segment events and waits until every import they queued is applied; returns the membership delta reports. */
  const sendSegment = async (raw: string) => {
    const response = await postSegment(raw);
    expect(response.status).toBe(200);
    const imports = response.body.imports as { cohort_id: string; import_id: string; name_import_id: string }[];
    const reports = [];
    for (const entry of imports) {
      await applied(segment, entry.cohort_id, entry.name_import_id);
      reports.push(await applied(segment, entry.cohort_id, entry.import_id));
    }
    return reports;
  };
  /** What braze-cohorts sends for an audience: the cohort (`/cohorts`), then its membership delta. */
  const sendBraze = async (cohortId: string, name: string, createdAt: string, changes: Record<string, unknown>[]) => {
    const credentials = { partner_api_key: 'segment-partner-key', client_secret: braze.dataImportKey };
    const created = await hub.request('POST', '/partners/segment/cohorts', { body: { ...credentials, cohort_id: cohortId, name, created_at: createdAt } });
    const delta = await hub.request('POST', '/partners/segment/cohorts/users', { body: { ...credentials, cohort_id: cohortId, cohort_changes: changes } });
    expect([created.status, delta.status]).toEqual([201, 201]);
    await applied(braze, cohortId, created.body.import_id);
    return applied(braze, cohortId, delta.body.import_id);
  };
  /** Everything the read API says about the cohorts and the users, minus times of writing. */
  const state = async (ws: WorkspaceCredentials) => {
    const cohorts = ((await read(ws, '/v1/cohorts')).body.cohorts as Record<string, unknown>[]).map(({ updated_at: _updated, ...cohort }) => cohort);
    const members = await Promise.all(cohorts.map(async (cohort) => [cohort.id, (await read(ws, `/v1/cohorts/${String(cohort.id)}/members`)).body.members]));
    const users = await Promise.all(['user-known', 'user-1', 'user-2', 'user-3'].map(async (id) => (await read(ws, `/v1/users?external_id=${id}`)).body.cohorts));
    const anonymous = (await read(ws, '/v1/users?device_id=dev-anon')).body.cohorts;
    return { cohorts, members, users, anonymous };
  };
  const counts = (report: Record<string, unknown>) => ({ matched: report.matched, unmatched: report.unmatched, added: report.added, removed: report.removed });

  beforeAll(async () => {
    hub = await startTestHub({ visibilitySeconds: 5 });
    braze = await hub.createWorkspace({ partnerName: 'segment' });
    segment = await hub.createWorkspace({ partnerName: 'segment' });
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const now = new Date().toISOString();
    for (const ws of [braze.workspaceId, segment.workspaceId]) {
      for (const user of ['user-known', 'user-1', 'user-2', 'user-3']) {
        await directory.createProfile(ws, `b-${user}`, now);
        expect(await directory.claim(ws, `b-${user}`, { kind: 'external_id', value: user }, now)).toBe('claimed');
      }
      await directory.createProfile(ws, 'b-anon', now);
      expect(await directory.claim(ws, 'b-anon', { kind: 'device_id', value: 'dev-anon' }, now)).toBe('claimed');
    }
  });
  afterAll(() => hub.stop());

  it('a single identify, a batch and a single track change membership exactly like the Braze deltas braze-cohorts would send', async () => {
    // 1. One audience identify (traits.first_time_shopper: true) ≡ /cohorts + add user-known.
    await sendSegment(fixture('identify-entered'));
    await sendBraze(FIRST, 'first_time_shopper', '2025-06-01T10:00:00.000Z', [{ user_ids: ['user-known'] }]);
    expect(await state(segment)).toEqual(await state(braze));

    // 2. A batch of eight: per audience, the newest event of each identifier (braze-cohorts sorts by time and keeps the latest).
    const [high, churn] = await sendSegment(fixture('batch'));
    const brazeHigh = await sendBraze(HIGH, 'high_intent', '2025-06-03T09:00:00.000Z', [{ user_ids: ['user-2'], device_ids: ['dev-anon'] }, { user_ids: ['user-1'], should_remove: true }]);
    const brazeChurn = await sendBraze(CHURN, 'churn_risk', '2025-06-03T09:06:00.000Z', [{ user_ids: ['user-3'] }]);
    expect(await state(segment)).toEqual(await state(braze));
    expect([counts(high), counts(churn)]).toEqual([counts(brazeHigh), counts(brazeChurn)]);
    expect(high).toMatchObject({ partner: 'segment', received: { user_ids: 3, device_ids: 1, aliases: 0, total: 4 }, duplicate: 1, conflicts: 1, conflict_samples: ['user-1'] });

    // 3. One Audience Exited track ≡ remove user-known.
    await sendSegment(fixture('track-exited'));
    await sendBraze(FIRST, 'first_time_shopper', '2025-06-01T10:00:00.000Z', [{ user_ids: ['user-known'], should_remove: true }]);
    const final = await state(segment);
    expect(final).toEqual(await state(braze));
    expect(final.members).toEqual([
      [FIRST, []],
      [CHURN, [{ braze_id: 'b-user-3', external_id: 'user-3' }]],
      [HIGH, [{ braze_id: 'b-anon', external_id: null }, { braze_id: 'b-user-2', external_id: 'user-2' }]],
    ]);
  });

  it('a reordered and retried Exit/Enter pair ends in the state of the newer event', async () => {
    const event = (type: 'Audience Entered' | 'Audience Exited', messageId: string, timestamp: string) =>
      JSON.stringify({
        type: 'track',
        event: type,
        userId: 'user-2',
        messageId,
        timestamp,
        properties: { audience_key: 'reorder', reorder: type === 'Audience Entered' },
        context: { personas: { computation_class: 'audience', computation_id: 'aud_reorder', computation_key: 'reorder' } },
      });
    const members = async () => ((await read(segment, '/v1/cohorts/aud_reorder/members')).body.members as { braze_id: string }[]).map((member) => member.braze_id);
    const enter = event('Audience Entered', 'm-enter', '2025-07-01T10:00:00Z');
    const exit = event('Audience Exited', 'm-exit', '2025-07-01T11:00:00Z');

    await sendSegment(exit);
    await sendSegment(enter);
    const afterReorder = await members();
    const [retried] = await sendSegment(JSON.stringify([JSON.parse(enter), JSON.parse(enter)]));
    const afterRetry = await members();
    await sendSegment(event('Audience Entered', 'm-enter-2', '2025-07-01T12:00:00Z'));
    await sendSegment(exit);

    expect(afterReorder).toEqual([]);
    expect(afterRetry).toEqual([]);
    expect(retried).toMatchObject({ duplicate: 1, added: 0, removed: 0 });
    expect(await members()).toEqual(['b-user-2']);
  });

  it('refuses a wrong, missing or other workspace\'s token, or another workspace\'s path, with 401 — and queues nothing', async () => {
    const sends = jest.spyOn(SQSClient.prototype, 'send');
    const batch = fixture('batch');
    try {
      const answers = [
        await postSegment(batch, { token: 'hub_seg_not-a-token' }),
        await postSegment(batch, { token: segment.apiKey }),
        await postSegment(batch, { token: braze.segmentToken }),
        await postSegment(batch, { workspaceId: braze.workspaceId }),
        await hub.request('POST', `/segment/audiences/${segment.workspaceId}`, { raw: batch }),
      ];

      expect(answers.map((answer) => [answer.status, answer.body])).toEqual(Array.from({ length: 5 }, () => [401, { message: 'Unauthorized access' }]));
      const queued = sends.mock.calls.filter(([command]) => ['SendMessageBatchCommand', 'SendMessageCommand'].includes(command.constructor.name));
      expect(queued).toEqual([]);
    } finally {
      sends.mockRestore();
    }
  });

  it('answers 400 with the problems for a malformed audience event, and 413 over the body limit', async () => {
    const malformed = await postSegment(JSON.stringify([JSON.parse(fixture('identify-entered')), { ...JSON.parse(fixture('track-exited')), timestamp: 'soon' }]));
    const huge = await postSegment(JSON.stringify(Array.from({ length: 6200 }, () => 'x'.repeat(1000))));

    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ message: '1 of 2 events are not valid Engage audience events: nothing was queued', errors: ['[1] timestamp must be an ISO-8601 date-time'] });
    expect(huge.status).toBe(413);
  });
});
