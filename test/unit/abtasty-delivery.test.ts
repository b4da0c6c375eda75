import {
  candidatesOf,
  deliver,
  destinationProblems,
  MAX_MESSAGE_CHARS,
  membershipMemberSource,
  planDelivery,
  type AbTastyDestination,
  type DeliveryPlan,
} from '../../functions/domain/abtasty-delivery';
import { answer, fakeMembers, fakeSender, fakeTime, fakeTokens, ok, portsOf } from './support/abtasty-fakes';

const destination: AbTastyDestination = { account: 'acc-1', partner: 'heaphub', segments: 'all' };
const candidates = [
  { id: '20', name: 'Engaged shoppers', memberCount: 3 },
  { id: '10', name: 'Window shoppers', memberCount: 1 },
  { id: '30', name: 'Lapsed', memberCount: 0 },
];
const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 10_000 };

describe('delivery plan', () => {
  it('by default sends every non-empty segment, by token, in id order, and lists the empty ones as skipped', () => {
    expect(planDelivery(destination, candidates)).toEqual({
      account: 'acc-1',
      partner: 'heaphub',
      segments: [
        { id: '10', name: 'Window shoppers', token: 'heap_10' },
        { id: '20', name: 'Engaged shoppers', token: 'heap_20' },
      ],
      skipped: [{ id: '30', reason: 'empty' }],
    });
  });

  it('with a list sends the listed segments that exist and have members, once each', () => {
    const plan = planDelivery({ ...destination, segments: ['20', '99', '20', '30'], value: 'vip' }, candidates);
    expect(plan.segments.map((segment) => segment.id)).toEqual(['20']);
    expect(plan.skipped).toEqual([{ id: '30', reason: 'empty' }, { id: '99', reason: 'unknown' }]);
    expect(plan.value).toBe('vip');
  });

  it('names what is wrong with a destination, and refuses to plan it', () => {
    expect(destinationProblems(destination)).toEqual([]);
    const bad = { account: 'a/b', partner: '', segments: [], value: 'two words' } as AbTastyDestination;
    expect(destinationProblems(bad)).toHaveLength(4);
    expect(() => planDelivery(bad, candidates)).toThrow(/Invalid AB Tasty destination/);
  });

  it('reads candidates from segment metadata (name defaults to the id)', () => {
    expect(candidatesOf([{ setId: '7', memberCount: 2 }, { setId: '8', name: 'N', memberCount: 0 }])).toEqual([
      { id: '7', name: '7', memberCount: 2 },
      { id: '8', name: 'N', memberCount: 0 },
    ]);
  });

  it('pages members from the membership reads until there is no next key', async () => {
    const calls: unknown[] = [];
    const reads = {
      listMembers: (set: unknown, limit: number, startKey?: Record<string, unknown>) => {
        calls.push({ set, limit, startKey });
        return Promise.resolve(startKey ? { members: [{ memberId: 'c' }] } : { members: [{ memberId: 'a' }, { memberId: 'b' }], nextKey: { k: 1 } });
      },
    };
    const pages: (readonly string[])[] = [];
    for await (const page of membershipMemberSource(reads, 'ws-1', 2).pages('42')) pages.push(page);
    expect(pages).toEqual([['a', 'b'], ['c']]);
    expect(calls).toEqual([
      { set: { workspaceId: 'ws-1', kind: 'segment', setId: '42' }, limit: 2, startKey: undefined },
      { set: { workspaceId: 'ws-1', kind: 'segment', setId: '42' }, limit: 2, startKey: { k: 1 } },
    ]);
  });
});

const setup = (script: Parameters<typeof fakeSender>[0] = [], grants: Parameters<typeof fakeTokens>[0] = []) => {
  const tokens = fakeTokens(grants);
  const sender = fakeSender(script);
  const members = fakeMembers({ '10': ['w-1'], '20': ['e-1', 'e-2', 'e-3'] });
  const time = fakeTime();
  return { tokens, sender, members, time, ports: portsOf({ tokens: tokens.provider, sender: sender.sender, members: members.source, time }) };
};
const plan: DeliveryPlan = planDelivery(destination, candidates);
const EXPECTED_CSV = 'visitor_id,segment,value\nw-1,heap_10,\ne-1,heap_20,\ne-2,heap_20,\ne-3,heap_20,\n';

describe('deliver', () => {
  it('pushes the full membership of every planned segment in one streamed request and reports it', async () => {
    const { ports, sender, time } = setup();
    const report = await deliver(ports, plan, policy);

    expect(sender.uploads).toEqual([{ upload: { account: 'acc-1', partner: 'heaphub', token: 't1', contentType: 'text/csv' }, text: EXPECTED_CSV }]);
    expect(report).toMatchObject({ outcome: 'delivered', status: 200, rows: 4, bytes: Buffer.byteLength(EXPECTED_CSV), refusedRows: 0 });
    expect(report.segments.map((segment) => segment.name)).toEqual(['Window shoppers', 'Engaged shoppers']);
    expect(report.attempts).toEqual([{ at: report.startedAt, step: 'upload', status: 200, message: '{"message":"OK"}', verdict: 'success' }]);
    expect(time.sleeps).toEqual([]);
  });

  it('writes the configured value on every row', async () => {
    const { ports, sender } = setup();
    await deliver(ports, planDelivery({ ...destination, value: 'heap' }, candidates), policy);
    expect(sender.uploads[0]?.text).toContain('w-1,heap_10,heap\n');
  });

  it('retries a 429 after Retry-After with a freshly read body, and reports both attempts', async () => {
    const { ports, sender, members, time } = setup([answer(429, 'slow down', '2')]);
    // A visitor joins between the two attempts: the retry must carry the membership as it is then.
    const joining = { send: async (upload: Parameters<typeof ports.sender.send>[0]) => {
      const outcome = await ports.sender.send(upload);
      members.members['20'] = ['e-1', 'e-2', 'e-3', 'e-4'];
      return outcome;
    } };
    const report = await deliver({ ...ports, sender: joining }, plan, policy);

    expect(time.sleeps).toEqual([2000]);
    expect(report.attempts.map((attempt) => [attempt.status, attempt.verdict, attempt.message])).toEqual([
      [429, 'retry', 'slow down'],
      [200, 'success', '{"message":"OK"}'],
    ]);
    expect(sender.uploads).toHaveLength(2);
    expect(sender.uploads[0]?.text).not.toContain('e-4');
    expect(sender.uploads[1]?.text).toContain('e-4,heap_20,');
    expect(report).toMatchObject({ outcome: 'delivered', rows: 5 });
    expect(Date.parse(report.finishedAt) - Date.parse(report.startedAt)).toBe(2000);
  });

  it('on a 401 refreshes the token exactly once and resends at once', async () => {
    const { ports, sender, tokens, time } = setup([answer(401, 'token expired')]);
    const report = await deliver(ports, plan, policy);

    expect(tokens.calls.refresh).toEqual(['t1']);
    expect(sender.uploads.map((upload) => upload.upload.token)).toEqual(['t1', 't2']);
    expect(report.attempts.map((attempt) => attempt.verdict)).toEqual(['refresh-token', 'success']);
    expect(report.outcome).toBe('delivered');
    expect(time.sleeps).toEqual([]);
  });

  it('a second 401 in the same delivery is a failure, not another refresh', async () => {
    const { ports, tokens } = setup([answer(401, 'no'), answer(401, 'still no')]);
    const report = await deliver(ports, plan, policy);
    expect(tokens.calls.refresh).toHaveLength(1);
    expect(report).toMatchObject({ outcome: 'failed', status: 401, message: 'still no' });
  });

  it('records any other 4xx as failed with AB Tasty answer, without retrying', async () => {
    const { ports, sender, time } = setup([answer(400, '{"message":"line 2: visitor_id"}')]);
    const report = await deliver(ports, plan, policy);
    expect(report).toMatchObject({ outcome: 'failed', status: 400, message: '{"message":"line 2: visitor_id"}' });
    expect(sender.uploads).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('gives up as exhausted after the last attempt of timeouts and 5xx, with jittered waits in between', async () => {
    const { ports, time } = setup([{ kind: 'timeout', message: 'no answer before the timeout' }, answer(503, 'busy'), answer(500, 'oops')]);
    const report = await deliver({ ...ports, random: () => 0.5 }, plan, policy);
    expect(report.attempts.map((attempt) => attempt.status)).toEqual([null, 503, 500]);
    expect(time.sleeps).toEqual([50, 100]);
    expect(report).toMatchObject({ outcome: 'exhausted', status: 500, message: 'oops' });
  });

  it('stops at once when Retry-After asks for longer than the policy allows', async () => {
    const { ports, time } = setup([answer(429, 'come back tomorrow', '86400')]);
    const report = await deliver(ports, plan, policy);
    expect(report.outcome).toBe('exhausted');
    expect(time.sleeps).toEqual([]);
  });

  it('a refused token grant fails the delivery; a failing token route is retried', async () => {
    const refused = setup([], [answer(401, '{"error":"invalid_client"}')]);
    expect(await deliver(refused.ports, plan, policy)).toMatchObject({ outcome: 'failed', status: 401, attempts: [{ step: 'token', verdict: 'fail' }] });
    expect(refused.sender.uploads).toHaveLength(0);

    const flaky = setup([], [answer(503, 'down')]);
    const report = await deliver(flaky.ports, plan, policy);
    expect(report.attempts.map((attempt) => [attempt.step, attempt.status])).toEqual([['token', 503], ['upload', 200]]);
    expect(report.outcome).toBe('delivered');
  });

  it('sends nothing when no segment is planned', async () => {
    const { ports, sender, tokens } = setup();
    const report = await deliver(ports, planDelivery(destination, [{ id: '1', name: 'x', memberCount: 0 }]), policy);
    expect(report).toMatchObject({ outcome: 'skipped', attempts: [], rows: 0, status: null });
    expect(sender.uploads).toHaveLength(0);
    expect(tokens.calls.token).toBe(0);
  });

  it('keeps AB Tasty answers short in the report', async () => {
    const { ports } = setup([answer(400, 'x'.repeat(5000))]);
    const report = await deliver(ports, plan, policy);
    expect(report.message).toHaveLength(MAX_MESSAGE_CHARS);
    expect(report.attempts[0]?.message).toHaveLength(MAX_MESSAGE_CHARS);
  });

  it('does not hold a segment in memory: pages are read while the body streams', async () => {
    const big = Array.from({ length: 5000 }, (_, index) => `v-${index}`);
    const tokens = fakeTokens();
    const members = fakeMembers({ '10': big }, 100);
    let readsAtFirstChunk: number | undefined;
    const sender = {
      async send(upload: { body: AsyncIterable<Uint8Array> }) {
        for await (const _chunk of upload.body) readsAtFirstChunk ??= members.stats.reads;
        return ok();
      },
    };
    const report = await deliver(portsOf({ tokens: tokens.provider, sender, members: members.source, time: fakeTime() }), planDelivery(destination, [{ id: '10', name: 'big', memberCount: 5000 }]), policy);
    expect(report.rows).toBe(5000);
    expect(readsAtFirstChunk).toBeLessThan(members.stats.reads);
    expect(members.stats.reads).toBe(50);
  });
});
