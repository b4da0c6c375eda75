/**
 * The signed change webhook on the local stack (docs/events.md, "Signed webhook"): cohort imports
 * that add, remove, re-add and duplicate; the cohorts table's stream feeds the consumer, which
 * queues the changes on the FIFO queue; the worker POSTs them to a local receiver (node:http) that
 * verifies every signature. The receiver must end with exactly the recorded history's flips, each
 * member's in version order; one that answers 500 (five times: the worker's tries are spent and
 * SQS redelivers) and then 200 ends the same, and the deliveries report shows both POSTs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { directoryStore } from '../../functions/adapters/directory';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { configureChangeWebhook } from '../../functions/domain/change-webhook-config';
import type { MembershipChangedDetail } from '../../functions/domain/ports';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub } from './harness';

const COHORT = 'webhook-cohort';
const SECRET = 'integration-webhook-secret-0123456789';

interface Receiver {
  readonly url: string;
  /** Every event received, in arrival order (duplicates included). */
  readonly events: MembershipChangedDetail[];
  readonly badSignatures: number;
  readonly answered: number[];
  close(): Promise<void>;
}

/** Verifies `X-Hub-Signature` as docs/events.md shows; answers 500 to the first `failFirst` POSTs. */
const startReceiver = async (failFirst = 0): Promise<Receiver> => {
  const events: MembershipChangedDetail[] = [];
  const answered: number[] = [];
  let badSignatures = 0;
  let toFail = failFirst;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-hub-signature'] ?? '')) ?? [];
      const expected = createHmac('sha256', SECRET).update(`${t}.${body}`).digest();
      const valid = t !== undefined && v1 !== undefined && timingSafeEqual(Buffer.from(v1, 'hex'), expected) && Math.abs(Date.now() / 1000 - Number(t)) < 300;
      const status = !valid || request.headers['content-type'] !== 'application/json' ? 401 : toFail > 0 ? 500 : 200;
      if (status === 401) badSignatures += 1;
      if (status === 500) toFail -= 1;
      if (status === 200) events.push(...(JSON.parse(body) as { events: MembershipChangedDetail[] }).events);
      answered.push(status);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    get badSignatures() {
      return badSignatures;
    },
    answered,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

/** Each event once (a duplicate must be the same event), by first arrival. */
const firstArrivals = (events: readonly MembershipChangedDetail[]): MembershipChangedDetail[] => {
  const seen = new Map<string, MembershipChangedDetail>();
  for (const event of events) {
    const earlier = seen.get(event.event_id);
    if (earlier) expect(event).toEqual(earlier);
    else seen.set(event.event_id, event);
  }
  return [...seen.values()];
};

describe('signed change webhook through the local stack', () => {
  let hub: TestHub;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    hub = await startTestHub({ visibilitySeconds: 5, streamPollers: true });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await hub.stop();
  });

  /** A workspace with profiles `<prefix>0…`, each with external id `<prefix>-user-<i>`, and its webhook pointed at a new receiver. */
  const setUp = async (prefix: string, members: number, failFirst = 0) => {
    const creds = await hub.createWorkspace({ partnerName: 'heap' });
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const now = new Date().toISOString();
    for (let i = 0; i < members; i += 1) {
      await directory.createProfile(creds.workspaceId, `${prefix}${i}`, now);
      expect(await directory.claim(creds.workspaceId, `${prefix}${i}`, { kind: 'external_id', value: `${prefix}-user-${i}` }, now)).toBe('claimed');
    }
    const receiver = await startReceiver(failFirst);
    receivers.push(receiver);
    const store = dynamoWorkspaceStore(hub.doc, hub.tables.workspaces);
    const workspace = await store.get(creds.workspaceId);
    const configured = await configureChangeWebhook({ store, secrets: localSecretBox(hub.secretKey) }, workspace!, { url: receiver.url, secret: SECRET });
    expect(configured.ok).toBe(true);
    return { creds, receiver };
  };

  const read = (creds: WorkspaceCredentials, path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${creds.apiKey}` } });

  const importChange = async (creds: WorkspaceCredentials, prefix: string, members: number[], remove = false) => {
    const change = { user_ids: members.map((i) => `${prefix}-user-${i}`), ...(remove ? { should_remove: true } : {}) };
    const response = await hub.request('POST', '/partners/heap/cohorts/users', {
      body: { partner_api_key: 'heap-key', client_secret: creds.dataImportKey, cohort_id: COHORT, cohort_changes: [change] },
    });
    expect(response.status).toBe(201);
    const importId = response.body.import_id as string;
    await eventually(async () => ((await read(creds, `/v1/cohorts/${COHORT}/imports/${importId}`)).body?.status === 'applied' ? true : undefined), 30000, `import ${importId}`);
  };

  /** The receiver holds exactly the recorded history's flips (by event), each member's in version order of arrival. */
  const expectModel = async (creds: WorkspaceCredentials, receiver: Receiver, prefix: string, expected: Record<number, string[]>) => {
    const total = Object.values(expected).reduce((sum, directions) => sum + directions.length, 0);
    const events = await eventually(() => Promise.resolve(firstArrivals(receiver.events).length >= total ? firstArrivals(receiver.events) : undefined), 60000, `${total} webhook changes`);
    expect(events).toHaveLength(total);
    expect(receiver.badSignatures).toBe(0);
    for (const [i, directions] of Object.entries(expected)) {
      const mine = events.filter((event) => event.member.braze_id === `${prefix}${i}`);
      expect(mine.map((event) => event.direction)).toEqual(directions);
      const versions = mine.map((event) => event.version);
      expect(versions).toEqual([...versions].sort());
      const history = (await read(creds, `/v1/cohorts/${COHORT}/members/${prefix}${i}/history`)).body.flips as { direction: string; version: string }[];
      expect(mine.map((event) => [event.direction, event.version])).toEqual(history.map((flip) => [flip.direction, flip.version]));
    }
  };

  it('delivers signed audience.membership.changed batches: every change once per event_id, in order per member', async () => {
    const { creds, receiver } = await setUp('wa', 8);
    await importChange(creds, 'wa', [0, 1, 2, 3, 4, 5, 6, 7]);
    await importChange(creds, 'wa', [0, 1, 2, 3], true);
    // 0 and 1 come back; 4 is a duplicate add (no flip, nothing sent).
    await importChange(creds, 'wa', [0, 1, 4]);
    await importChange(creds, 'wa', [0, 5], true);
    await expectModel(creds, receiver, 'wa', {
      0: ['entered', 'exited', 'entered', 'exited'],
      1: ['entered', 'exited', 'entered'],
      2: ['entered', 'exited'],
      3: ['entered', 'exited'],
      4: ['entered'],
      5: ['entered', 'exited'],
      6: ['entered'],
      7: ['entered'],
    });
    expect(receiver.events.every((event) => event.workspace_id === creds.workspaceId && event.set_id === COHORT)).toBe(true);
  });

  it('a receiver answering 500 until the tries are spent, then 200, still ends with exactly the model; the report lists both POSTs', async () => {
    const { creds, receiver } = await setUp('wb', 3, 5);
    await importChange(creds, 'wb', [0]);
    await expectModel(creds, receiver, 'wb', { 0: ['entered'] });
    await importChange(creds, 'wb', [1, 2]);
    await importChange(creds, 'wb', [0], true);
    await expectModel(creds, receiver, 'wb', { 0: ['entered', 'exited'], 1: ['entered'], 2: ['entered'] });
    expect(receiver.answered.slice(0, 6)).toEqual([500, 500, 500, 500, 500, 200]);
    const report = await read(creds, '/v1/destinations/webhook/deliveries?limit=50');
    expect(report.status).toBe(200);
    const deliveries = report.body.deliveries as { outcome: string; changes: number; first_event_id: string; attempts: { status: number | null }[]; started_at: string }[];
    const startedAt = deliveries.map((delivery) => delivery.started_at);
    expect(startedAt).toEqual([...startedAt].sort().reverse());
    const exhausted = deliveries.filter((delivery) => delivery.outcome === 'exhausted');
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]?.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500, 500, 500]);
    const retried = deliveries.find((delivery) => delivery.outcome === 'delivered' && delivery.first_event_id === exhausted[0]?.first_event_id);
    expect(retried?.attempts.map((attempt) => attempt.status)).toEqual([200]);
    expect(deliveries.filter((delivery) => delivery.outcome === 'delivered').reduce((sum, delivery) => sum + delivery.changes, 0)).toBe(4);
    // Another workspace's key sees none of it.
    const other = await hub.createWorkspace({ partnerName: 'heap' });
    expect((await read(other, '/v1/destinations/webhook/deliveries')).body.deliveries).toEqual([]);
  });
});
