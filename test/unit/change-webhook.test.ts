/**
 * The change webhook (docs/events.md, "Signed webhook"): grouping and batching of queued changes,
 * the signature, retry decisions and backoff, in-order delivery of a FIFO batch, and the settings'
 * validation. The grouping property prints its seed; replay with HUB_WEBHOOK_SEED=<seed>.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fc from 'fast-check';
import { changeDetail } from '../../functions/domain/change-events';
import { groupOf, MAX_CHANGES_PER_MESSAGE, queueForWebhooks, webhookMessages, webhookTargets } from '../../functions/domain/change-webhook';
import { changeWebhookProblems, configureChangeWebhook, describeChangeWebhook, changeWebhookSecret } from '../../functions/domain/change-webhook-config';
import {
  backoffMs,
  BACKOFF_CAP_MS,
  deliverBatch,
  MAX_CHANGES_PER_POST,
  MAX_RETRY_AFTER_MS,
  postsOf,
  signatureHeader,
  verdictOf,
  type WebhookDeliveryDeps,
} from '../../functions/domain/change-webhook-delivery';
import type { ChangeWebhookMessage, MembershipChangedDetail, WebhookAnswer } from '../../functions/domain/ports';
import type { ChangeWebhookMessageBody, WebhookDelivery } from '../../functions/schemas/change-webhook';
import type { MembershipFlip } from '../../functions/schemas/membership-history';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';
import { workspaceRecord } from './fakes/workspace-record';
import { parseRetryAfter } from '../../functions/domain/abtasty-retry';

const SEED = process.env.HUB_WEBHOOK_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.HUB_WEBHOOK_SEED);
const SECRET = 'a-webhook-secret-of-32-characters';

const flip = (memberId: string, version: string, extra: Partial<MembershipFlip> = {}): MembershipFlip => ({
  workspaceId: 'ws1',
  setKind: 'cohort',
  setId: 'c1',
  memberKind: 'profile',
  memberId,
  direction: 'entered',
  version,
  changedAt: '2026-12-04T00:00:00.000Z',
  ...extra,
});
const detail = (memberId: string, version: string, extra: Partial<MembershipFlip> = {}): MembershipChangedDetail => changeDetail(flip(memberId, version, extra));

describe('grouping and batching (webhookMessages)', () => {
  it('keeps one member in one group, each group in recorded order, at most MAX_CHANGES_PER_MESSAGE per message (property, fresh seed)', () => {
    console.log(`change webhook grouping property: seed ${SEED} (replay with HUB_WEBHOOK_SEED=${SEED})`);
    const changes = fc.array(fc.record({ member: fc.integer({ min: 0, max: 40 }), set: fc.constantFrom('c1', 'c2') }), { maxLength: 400 });
    fc.assert(
      fc.property(changes, fc.integer({ min: 1, max: 120 }), (list, max) => {
        const details = list.map((c, i) => detail(`m${c.member}`, String(i).padStart(6, '0'), { setId: c.set }));
        const messages = webhookMessages('ws1', details, max);
        expect(messages.every((m) => m.body.events.length <= max && m.body.events.length > 0 && m.body.workspaceId === 'ws1')).toBe(true);
        // Every change exactly once.
        expect(messages.flatMap((m) => m.body.events.map((e) => e.event_id)).sort()).toEqual(details.map((d) => d.event_id).sort());
        const groupOfMember = new Map<string, string>();
        for (const message of messages) {
          for (const event of message.body.events) {
            const key = `${event.set_id}/${event.member.braze_id}`;
            expect(groupOfMember.get(key) ?? message.groupId).toBe(message.groupId);
            groupOfMember.set(key, message.groupId);
          }
        }
        // Within a group, concatenated messages keep the input order.
        const byGroup = new Map<string, string[]>();
        for (const message of messages) byGroup.set(message.groupId, [...(byGroup.get(message.groupId) ?? []), ...message.body.events.map((e) => e.version)]);
        for (const versions of byGroup.values()) expect(versions).toEqual([...versions].sort());
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('spreads a workspace over several groups and names them by workspace; dedupe ids follow the event ids', () => {
    const details = Array.from({ length: 500 }, (_, i) => detail(`m${i}`, '000001'));
    const groups = new Set(details.map((d) => groupOf(d)));
    expect(groups.size).toBeGreaterThan(8);
    expect([...groups].every((g) => g.startsWith('ws1:'))).toBe(true);
    const once = webhookMessages('ws1', details);
    expect(webhookMessages('ws1', details).map((m) => m.deduplicationId)).toEqual(once.map((m) => m.deduplicationId));
    expect(new Set(once.map((m) => m.deduplicationId)).size).toBe(once.length);
    expect(once.every((m) => m.deduplicationId.length <= 128)).toBe(true);
  });

  it('keeps a full message of large changes under the SQS limit', () => {
    const big = Array.from({ length: MAX_CHANGES_PER_MESSAGE }, (_, i) =>
      detail(`member-with-a-long-braze-id-${'x'.repeat(40)}-${i}`, `2026-12-04T00:00:00.000Z#${i}`, { setId: 'c'.repeat(128), source: { kind: 'cohort_import', importId: 'i'.repeat(64), partner: 'p'.repeat(64) } }),
    );
    const message = webhookMessages('ws1', big.map((d) => ({ ...d, member: { braze_id: 'same' } })))[0];
    expect(Buffer.byteLength(JSON.stringify(message?.body))).toBeLessThan(262_144);
  });
});

describe('queueing flips (queueForWebhooks, webhookTargets)', () => {
  it('queues only the flips of workspaces with an enabled webhook, and reads a workspace once per cache period (Clock)', async () => {
    const store = memoryWorkspaceStore();
    await store.create(workspaceRecord({ workspaceId: 'ws1', name: 'one', changeWebhook: { url: 'https://x.example/h', secretCiphertext: 'c', enabled: true } }));
    await store.create(workspaceRecord({ workspaceId: 'ws2', name: 'two' }));
    await store.create(workspaceRecord({ workspaceId: 'ws3', name: 'three', changeWebhook: { url: 'https://x.example/h', secretCiphertext: 'c', enabled: false } }));
    let reads = 0;
    let now = 1_000;
    const targets = webhookTargets({ get: (id) => ((reads += 1), store.get(id)) }, { now: () => now }, 30_000);
    const sent: ChangeWebhookMessage[] = [];
    const deps = { queue: { send: (m: readonly ChangeWebhookMessage[]) => Promise.resolve(void sent.push(...m)) }, hasWebhook: targets };
    const queued = await queueForWebhooks(deps, [detail('a', '1'), detail('b', '1', { workspaceId: 'ws2' }), detail('c', '1', { workspaceId: 'ws3' }), detail('d', '2')]);
    expect(queued).toBe(2);
    expect(sent.flatMap((m) => m.body.events.map((e) => e.member.braze_id)).sort()).toEqual(['a', 'd']);
    expect(reads).toBe(3);
    await queueForWebhooks(deps, [detail('e', '3')]);
    expect(reads).toBe(3);
    now += 30_000;
    await queueForWebhooks(deps, [detail('f', '4')]);
    expect(reads).toBe(4);
  });
});

describe('signature', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>, verifiable as docs/events.md shows', () => {
    const body = '{"events":[]}';
    const header = signatureHeader(SECRET, 1_764_806_400, body);
    expect(header).toMatch(/^t=1764806400,v1=[0-9a-f]{64}$/);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    const expected = createHmac('sha256', SECRET).update(`${t}.${body}`).digest();
    expect(timingSafeEqual(Buffer.from(v1 ?? '', 'hex'), expected)).toBe(true);
    expect(signatureHeader(SECRET, 1_764_806_400, `${body} `)).not.toBe(header);
    expect(signatureHeader('another-secret-value', 1_764_806_400, body)).not.toBe(header);
  });
});

describe('retry decisions', () => {
  it.each([
    [200, 'success'], [204, 'success'], [408, 'retry'], [429, 'retry'], [500, 'retry'], [503, 'retry'], [null, 'retry'],
    [301, 'reject'], [400, 'reject'], [401, 'reject'], [404, 'reject'], [413, 'reject'],
  ] as const)('status %s → %s', (status, verdict) => expect(verdictOf(status)).toBe(verdict));

  it('reads Retry-After as seconds or a date, and ignores garbage', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(5_000).toUTCString(), 1_000)).toBe(4000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });

  it('backs off with full jitter under the cap, honours a bounded Retry-After, gives up on a longer one', () => {
    expect(backoffMs(1, () => 0)).toBe(0);
    expect(backoffMs(1, () => 0.999)).toBeLessThan(1000);
    expect(backoffMs(10, () => 0.999)).toBeLessThan(BACKOFF_CAP_MS);
    expect(backoffMs(1, () => 0, 2000)).toBe(2000);
    expect(backoffMs(1, () => 0, MAX_RETRY_AFTER_MS + 1)).toBeUndefined();
  });
});

/** A receiver scripted by status codes; records what it got. */
const receiver = (statuses: (number | 'timeout')[]) => {
  const got: { body: string; headers: Readonly<Record<string, string>> }[] = [];
  return {
    got,
    post: (_url: string, body: string, headers: Readonly<Record<string, string>>): Promise<WebhookAnswer> => {
      got.push({ body, headers });
      const next = statuses.shift() ?? 200;
      return next === 'timeout' ? Promise.reject(Object.assign(new Error('t'), { name: 'TimeoutError' })) : Promise.resolve({ status: next });
    },
  };
};

const deliveryDeps = async (statuses: (number | 'timeout')[], enabled = true) => {
  const store = memoryWorkspaceStore();
  const ws = workspaceRecord({ workspaceId: 'ws1' });
  await store.create(ws);
  const configured = await configureChangeWebhook({ store, secrets: fakeSecretBox }, ws, { url: 'https://hooks.example/hub', secret: SECRET });
  expect(configured.ok).toBe(true);
  if (!enabled) await configureChangeWebhook({ store, secrets: fakeSecretBox }, (await store.get('ws1'))!, { enabled: false });
  const reports: WebhookDelivery[] = [];
  const poster = receiver(statuses);
  let now = 1_764_806_400_000;
  const slept: number[] = [];
  const deps: WebhookDeliveryDeps = {
    workspaces: store,
    secrets: fakeSecretBox,
    poster,
    reports: { put: (_ws, d) => Promise.resolve(void reports.push(d)), list: () => Promise.resolve({ deliveries: [] }) },
    clock: { now: () => now },
    sleep: (ms) => ((now += ms), slept.push(ms), Promise.resolve()),
    random: () => 0.5,
    newId: () => 'id',
  };
  return { deps, reports, poster, slept };
};

const message = (members: string[], workspaceId = 'ws1'): ChangeWebhookMessageBody => ({ workspaceId, events: members.map((m, i) => detail(m, String(i), { workspaceId })) });

describe('deliverBatch', () => {
  it('joins consecutive messages into signed POSTs of {"events":[…]} in batch order', async () => {
    const { deps, poster, reports } = await deliveryDeps([]);
    const outcome = await deliverBatch(deps, [message(['a', 'b']), message(['c'])]);
    expect(outcome.failed).toEqual([]);
    expect(poster.got).toHaveLength(1);
    const [sent] = poster.got;
    expect(JSON.parse(sent!.body)).toEqual({ events: [...message(['a', 'b']).events, ...message(['c']).events] });
    expect(sent!.headers['Content-Type']).toBe('application/json');
    expect(sent!.headers['X-Hub-Signature']).toBe(signatureHeader(SECRET, 1_764_806_400, sent!.body));
    expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered', changes: 3, firstEventId: detail('a', '0').event_id, lastEventId: detail('c', '0').event_id, attempts: [expect.objectContaining({ status: 200 })] })]);
  });

  it('splits POSTs at MAX_CHANGES_PER_POST and at a change of workspace', () => {
    const many = Array.from({ length: 6 }, () => message(Array.from({ length: 100 }, (_, i) => `m${i}`)));
    expect(postsOf(many).map((p) => p.events.length)).toEqual([MAX_CHANGES_PER_POST, 100]);
    expect(postsOf([message(['a']), message(['b'], 'ws2'), message(['c'])]).map((p) => p.indexes)).toEqual([[0], [1], [2]]);
  });

  it('retries 500, 429 and timeouts with backoff and delivers once one succeeds', async () => {
    const { deps, reports, slept } = await deliveryDeps([500, 'timeout', 429, 200]);
    const outcome = await deliverBatch(deps, [message(['a'])]);
    expect(outcome.failed).toEqual([]);
    expect(reports[0]?.attempts.map((a) => a.status)).toEqual([500, null, 429, 200]);
    expect(reports[0]?.attempts[1]?.error).toBe('timeout');
    expect(slept).toHaveLength(3);
  });

  it('fails the first undelivered POST and every later message (FIFO order), recording the exhausted POST', async () => {
    const { deps, reports, poster } = await deliveryDeps([200, 503, 503, 503, 503, 503]);
    // 3 messages of 300 changes: POSTs of messages [0] and [1] and [2] (500 changes at most each).
    const messages = Array.from({ length: 3 }, (_, i) => message(Array.from({ length: 300 }, (_, j) => `m${i}-${j}`)));
    const result = await deliverBatch(deps, messages);
    expect(result.failed).toEqual([1, 2]);
    expect(reports.map((r) => r.outcome)).toEqual(['delivered', 'exhausted']);
    expect(reports[1]?.attempts.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    // The third message was never POSTed.
    expect(poster.got).toHaveLength(6);
  });

  it('does not retry a 4xx: records it rejected and fails the rest of the batch', async () => {
    const { deps, reports, poster } = await deliveryDeps([400]);
    const result = await deliverBatch(deps, [message(['a'])]);
    expect(result.failed).toEqual([0]);
    expect(poster.got).toHaveLength(1);
    expect(reports[0]?.outcome).toBe('rejected');
  });

  it('drops (and does not POST) changes of a workspace whose webhook is disabled', async () => {
    const { deps, poster } = await deliveryDeps([], false);
    const result = await deliverBatch(deps, [message(['a'])]);
    expect(result).toEqual({ failed: [], deliveries: [], dropped: 1 });
    expect(poster.got).toHaveLength(0);
  });

  it('starts no POST past its start deadline: the batch comes back whole', async () => {
    const { deps, poster } = await deliveryDeps([]);
    const result = await deliverBatch(deps, [message(['a']), message(['b'])], 0);
    expect(result.failed).toEqual([0, 1]);
    expect(poster.got).toHaveLength(0);
  });
});

describe('webhook settings (configureChangeWebhook)', () => {
  it.each([
    [{ url: 'https://hooks.example/x' }, 'needs --change-webhook-secret'],
    [{ secret: SECRET }, 'needs --change-webhook-url'],
    [{ url: 'http://hooks.example/x', secret: SECRET }, 'must be https'],
    [{ url: 'ftp://127.0.0.1/x', secret: SECRET }, 'must be https'],
    [{ url: 'https://u:p@hooks.example/x', secret: SECRET }, 'user name or password'],
    [{ url: 'not a url', secret: SECRET }, 'not an absolute URL'],
    [{ url: 'https://hooks.example/x', secret: 'short' }, 'secret must be'],
  ])('refuses %j (%s) and writes nothing', async (update, problem) => {
    const store = memoryWorkspaceStore();
    const ws = workspaceRecord({ workspaceId: 'ws1' });
    await store.create(ws);
    const result = await configureChangeWebhook({ store, secrets: fakeSecretBox }, ws, update);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.join('\n')).toContain(problem);
    expect((await store.get('ws1'))?.changeWebhook).toBeUndefined();
  });

  it('takes http on localhost and 127.0.0.1, keeps the secret encrypted for its workspace and never shows it', async () => {
    expect(changeWebhookProblems(undefined, { url: 'http://127.0.0.1:9999/hook', secret: SECRET })).toEqual([]);
    expect(changeWebhookProblems(undefined, { url: 'http://localhost/hook', secret: SECRET })).toEqual([]);
    const store = memoryWorkspaceStore();
    const ws = workspaceRecord({ workspaceId: 'ws1' });
    await store.create(ws);
    const result = await configureChangeWebhook({ store, secrets: fakeSecretBox }, ws, { url: 'https://hooks.example/x', secret: SECRET });
    expect(result).toEqual({ ok: true, webhook: { url: 'https://hooks.example/x', secret: 'set', enabled: true } });
    const stored = (await store.get('ws1'))!.changeWebhook!;
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(JSON.stringify(describeChangeWebhook(stored))).not.toContain(stored.secretCiphertext);
    expect(await changeWebhookSecret(fakeSecretBox, 'ws1', stored)).toBe(SECRET);
    await expect(changeWebhookSecret(fakeSecretBox, 'ws2', stored)).rejects.toThrow();
    // A later change keeps what it does not name.
    await configureChangeWebhook({ store, secrets: fakeSecretBox }, (await store.get('ws1'))!, { enabled: false });
    expect((await store.get('ws1'))!.changeWebhook).toEqual({ ...stored, enabled: false });
  });
});
