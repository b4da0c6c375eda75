import { COVER_MARGIN_MS, processDeliveryMessage, REFRESH_WINDOW_MS, type PushDeps, type PushOutcome } from '../../functions/domain/abtasty-push';
import { configureAbTasty } from '../../functions/domain/abtasty-destination';
import type { UdcUpload } from '../../functions/domain/abtasty-delivery';
import type { AbTastyPushMessage } from '../../functions/schemas/abtasty-delivery';
import { fakeDeliveryRequests, fakeSegmentReads, memoryDeliveryLeases } from './fakes/abtasty-delivery';
import { memoryDeliveryReports } from './fakes/delivery-reports';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';
import { workspaceRecord } from './fakes/workspace-record';
import { answer, fakeSender, fakeTime, fakeTokens } from './support/abtasty-fakes';

const WS = 'ws0123456789abcdef';
const START = Date.parse('2026-11-24T10:00:00Z');
const limits = { leaseMs: 960_000, lastAttemptBy: Infinity };
const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 10_000 };

const setup = async (options: { enabled?: boolean; script?: Parameters<typeof fakeSender>[0] } = {}) => {
  const store = memoryWorkspaceStore();
  await store.create(workspaceRecord({ workspaceId: WS }));
  await store.create(workspaceRecord({ workspaceId: 'ws-other', name: 'other' }));
  const configured = await configureAbTasty({ store, secrets: fakeSecretBox }, (await store.get(WS))!, {
    account: 'acc-42', partner: 'heaphub', clientId: 'client-1', clientSecret: 's3cret-value', enabled: options.enabled ?? true,
  });
  expect(configured.ok).toBe(true);
  const time = fakeTime(START);
  const { provider } = fakeTokens();
  const upload = fakeSender(options.script ?? []);
  const connected: { clientId: string; clientSecret: string }[] = [];
  const reports = memoryDeliveryReports();
  const leases = memoryDeliveryLeases();
  const requests = fakeDeliveryRequests();
  const segments = { '4242': { name: 'Engaged', members: ['v-1', 'v-2', 'v-3'] }, '7': { name: 'Window', members: ['w-1'] }, '9': { name: 'Empty', members: [] } };
  let ids = 0;
  const deps: PushDeps = {
    workspaces: store, secrets: fakeSecretBox, segments: fakeSegmentReads(segments), leases, reports, requests: requests.port,
    connect: (client) => {
      connected.push(client);
      return { tokens: provider, sender: upload.sender };
    },
    clock: time.clock, sleep: time.sleep, random: () => 0, newId: () => `${String((ids += 1)).padStart(8, '0')}cafecafe`, policy,
  };
  return { deps, store, time, upload, connected, reports, leases, requests, segments };
};

const push = (requestedAt: number, overrides: Partial<AbTastyPushMessage> = {}): AbTastyPushMessage => ({
  type: 'push', dedupeKey: `abtasty#${requestedAt}`, workspaceId: WS, requestedAt, reason: 'change', ...overrides,
});

const pushed = (outcome: Awaited<ReturnType<typeof processDeliveryMessage>>) => {
  if (outcome.kind !== 'pushed') throw new Error(`expected a push, got ${outcome.kind}`);
  return outcome;
};

describe('an AB Tasty push request', () => {
  it('pushes every member of every non-empty segment with the decrypted client secret, and stores the report', async () => {
    const { deps, upload, connected, reports } = await setup();

    const outcome = pushed(await processDeliveryMessage(deps, push(START - 20_000), limits));

    expect(connected).toEqual([{ clientId: 'client-1', clientSecret: 's3cret-value' }]);
    expect(upload.uploads).toHaveLength(1);
    expect(upload.uploads[0]!.upload).toMatchObject({ account: 'acc-42', partner: 'heaphub', contentType: 'text/csv' });
    expect(upload.uploads[0]!.text.trim().split('\n')).toEqual(['visitor_id,segment,value', 'v-1,heap_4242,', 'v-2,heap_4242,', 'v-3,heap_4242,', 'w-1,heap_7,']);
    expect(outcome).toMatchObject({ deliveryId: '2026-11-24T10:00:00.000Z-00000001', followUp: false, report: { outcome: 'delivered', rows: 4, skipped: [{ id: '9', reason: 'empty' }] } });
    expect(reports.all(WS)).toEqual([{ deliveryId: outcome.deliveryId, report: outcome.report }]);
  });

  it('does nothing for a workspace without an enabled destination', async () => {
    const { deps, upload, reports } = await setup({ enabled: false });

    const outcomes = [await processDeliveryMessage(deps, push(START), limits), await processDeliveryMessage(deps, push(START, { workspaceId: 'ws-other' }), limits)];

    expect(outcomes).toEqual([{ kind: 'no-destination' }, { kind: 'no-destination' }]);
    expect(upload.uploads).toEqual([]);
    expect(reports.all(WS)).toEqual([]);
  });

  it('coalesces: a request for a change before a settled push started is covered; a later change pushes again', async () => {
    const { deps, upload, time } = await setup();
    await processDeliveryMessage(deps, push(START - 20_000), limits);
    time.clock.now = () => START + 60_000;

    const earlier = await processDeliveryMessage(deps, push(START - 10_000), limits);
    const withinMargin = await processDeliveryMessage(deps, push(START - COVER_MARGIN_MS + 1), limits);
    const later = await processDeliveryMessage(deps, push(START + 60_000), limits);

    expect([earlier.kind, withinMargin.kind, later.kind]).toEqual(['covered', 'pushed', 'pushed']);
    expect(upload.uploads).toHaveLength(3);
  });

  it('never overlaps two pushes to one partner: a request during a push is handed to it, which follows it up once', async () => {
    const { deps, upload, requests, leases } = await setup();
    const during: PushOutcome[] = [];
    const busyDeps: PushDeps = { ...deps, connect: (client) => {
      const { tokens, sender } = deps.connect(client);
      return {
        tokens,
        sender: {
          send: async (file: UdcUpload) => {
            // Two requests arrive while the push is uploading: one for a change it started after, one for a change it missed.
            during.push((await processDeliveryMessage(busyDeps, push(START - 60_000), limits)) as PushOutcome);
            during.push((await processDeliveryMessage(busyDeps, push(START + 1_000), limits)) as PushOutcome);
            return sender.send(file);
          },
        },
      };
    } };

    const outcome = pushed(await processDeliveryMessage(busyDeps, push(START - 20_000), limits));

    expect(during).toEqual([{ kind: 'busy' }, { kind: 'busy' }]);
    expect(upload.uploads).toHaveLength(1);
    expect(outcome.followUp).toBe(true);
    expect(requests.calls).toEqual([
      { coalesce: false, requests: [{ workspaceId: WS, requestedAt: START + 1_000, reason: 'follow-up', dedupeKey: `abtasty#${WS}#follow-up#${START + 1_000}` }] },
    ]);
    expect([...leases.items.values()][0]).toEqual({ settledFrom: START, pendingSince: START + 1_000 });
  });

  it('asks for no follow-up when everything handed to the push was older than its start', async () => {
    const { deps, requests } = await setup();
    await deps.leases.claim(`${WS}#acc-42#heaphub`, { id: 'other', now: START - 100_000, until: START - 1, requestedAt: 0 });
    await deps.leases.claim(`${WS}#acc-42#heaphub`, { id: 'late', now: START - 100_000, until: START - 1, requestedAt: START - 30_000 });

    const outcome = pushed(await processDeliveryMessage(deps, push(START - 20_000), limits));

    expect(outcome.followUp).toBe(false);
    expect(requests.calls).toEqual([]);
  });

  it('exhausted: the report is stored, the partner freed, and the next request pushes again (nothing marked covered)', async () => {
    const { deps, upload, reports, leases } = await setup({ script: [answer(503, 'down'), answer(503, 'down'), answer(503, 'down')] });

    const first = pushed(await processDeliveryMessage(deps, push(START - 20_000), limits));
    const retried = pushed(await processDeliveryMessage(deps, push(START - 20_000), limits));

    expect(first.report.outcome).toBe('exhausted');
    expect(retried.report.outcome).toBe('delivered');
    expect(upload.uploads).toHaveLength(4);
    expect(reports.all(WS).map((delivery) => delivery.report.outcome).sort()).toEqual(['delivered', 'exhausted']);
    expect([...leases.items.values()][0]?.leaseId).toBeUndefined();
  });

  it('exhausted with a request handed over meanwhile: the request goes on in a delayed follow-up (its message may be gone)', async () => {
    const { deps, requests } = await setup({ script: [answer(503, 'down'), answer(503, 'down'), answer(503, 'down')] });
    const handingOver: PushDeps = { ...deps, sleep: async (ms) => {
      await processDeliveryMessage(deps, push(START - 20_000, { dedupeKey: 'redelivered copy' }), limits);
      return deps.sleep(ms);
    } };

    const outcome = pushed(await processDeliveryMessage(handingOver, push(START - 20_000), limits));

    expect(outcome).toMatchObject({ report: { outcome: 'exhausted' }, followUp: true });
    expect(requests.calls).toEqual([{ coalesce: true, requests: [expect.objectContaining({ requestedAt: START - 20_000, reason: 'follow-up' })] }]);
  });

  it('a refused push (4xx) settles: AB Tasty would refuse the same file again, so the same change is not pushed twice', async () => {
    const { deps, upload } = await setup({ script: [answer(400, 'unknown partner')] });

    const first = pushed(await processDeliveryMessage(deps, push(START - 20_000), limits));
    const again = await processDeliveryMessage(deps, push(START - 20_000), limits);

    expect(first.report).toMatchObject({ outcome: 'failed', status: 400 });
    expect(again).toEqual({ kind: 'covered' });
    expect(upload.uploads).toHaveLength(1);
  });

  it('frees the partner and fails when the push itself fails (members unreadable)', async () => {
    const { deps, leases } = await setup();
    deps.segments.listMembers = () => Promise.reject(new Error('DynamoDB unavailable'));

    await expect(processDeliveryMessage(deps, push(START - 20_000), limits)).rejects.toThrow('DynamoDB unavailable');
    expect([...leases.items.values()][0]).toEqual({});
  });

  it('stops retrying at the time limit: a retry that could not finish in time ends the push as exhausted', async () => {
    const { deps, upload } = await setup({ script: [answer(429, 'slow down', '5')] });

    const outcome = pushed(await processDeliveryMessage(deps, push(START - 20_000), { ...limits, lastAttemptBy: START + 4_000 }));

    expect(outcome.report.outcome).toBe('exhausted');
    expect(upload.uploads).toHaveLength(1);
  });
});

describe('the daily sweep', () => {
  const sweep = { type: 'sweep', dedupeKey: 'abtasty-sweep#2026-11-25T03:00:00Z', scheduledAt: '2026-11-25T03:00:00Z' } as const;

  it('asks for a refresh of every workspace with an enabled destination, at once', async () => {
    const { deps, requests } = await setup();

    const outcome = await processDeliveryMessage(deps, sweep, limits);

    expect(outcome).toEqual({ kind: 'swept', requested: 1 });
    const requestedAt = Date.parse(sweep.scheduledAt) - REFRESH_WINDOW_MS;
    expect(requests.calls).toEqual([{ coalesce: false, requests: [{ workspaceId: WS, requestedAt, reason: 'refresh', dedupeKey: `abtasty#${WS}#refresh#${sweep.scheduledAt}` }] }]);
  });

  it('a refresh is covered by a push settled in the day before the sweep, not by an older one', async () => {
    const { deps, time, upload } = await setup();
    await processDeliveryMessage(deps, push(START - 20_000), limits);
    const refreshAt = (scheduledAt: number) => push(scheduledAt - REFRESH_WINDOW_MS, { reason: 'refresh' });
    time.clock.now = () => START + REFRESH_WINDOW_MS;

    const dayAfter = await processDeliveryMessage(deps, refreshAt(START + 17 * 3600 * 1000), limits);
    const twoDaysAfter = await processDeliveryMessage(deps, refreshAt(START + 41 * 3600 * 1000), limits);

    expect([dayAfter.kind, twoDaysAfter.kind]).toEqual(['covered', 'pushed']);
    expect(upload.uploads).toHaveLength(2);
  });
});
