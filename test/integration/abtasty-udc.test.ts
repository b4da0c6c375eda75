/**
 * AB Tasty delivery end to end, short of the wiring: segment members in DynamoDB Local (the real
 * membership store and reads), the domain plan and push, the real OAuth and UDC adapters, and the
 * fake AB Tasty enforcing the documented contract. URLs come from ABTASTY_TOKEN_URL / ABTASTY_UDC_URL.
 */
import { randomBytes } from 'node:crypto';
import { abTastyTokenProvider, forgetAbTastyTokens } from '../../functions/adapters/abtasty-oauth';
import { abTastyUdcSender } from '../../functions/adapters/abtasty-udc';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { dynamoSetWriter } from '../../functions/adapters/set-writer';
import { allSegments } from '../../functions/domain/abtasty';
import { candidatesOf, deliver, membershipMemberSource, planDelivery, type DeliveryReport } from '../../functions/domain/abtasty-delivery';
import { changeVersion } from '../../functions/domain/membership';
import { systemClock } from '../../functions/domain/ports';
import { logger } from '../../functions/shared/powertools';
import { startFakeAbTasty, type FakeAbTasty } from '../support/fake-abtasty';
import { startTestHub, type TestHub } from './harness';
import { captureProcessOutput } from '../support/capture-output';

const CLIENT_ID = `client-${randomBytes(4).toString('hex')}`;
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const workspaceId = `ws-abt-${randomBytes(3).toString('hex')}`;
const ENGAGED = Array.from({ length: 2500 }, (_, index) => `v-${String(index).padStart(5, '0')}`);
const WINDOW = ['w-1', 'w-2', 'w-3'];

describe('AB Tasty delivery against a fake AB Tasty', () => {
  let hub: TestHub;
  let fake: FakeAbTasty;
  const captured: string[] = [];
  const reports: DeliveryReport[] = [];

  beforeAll(async () => {
    captureProcessOutput(captured);
    logger.setLogLevel('DEBUG');

    hub = await startTestHub({ pollers: false });
    fake = await startFakeAbTasty({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
    process.env.ABTASTY_TOKEN_URL = fake.tokenUrl;
    process.env.ABTASTY_UDC_URL = fake.udcUrl;
    const reads = dynamoSetWriter(hub.doc, hub.tables.cohorts);
    const store = dynamoMembershipStore(hub.doc, hub.tables.cohorts);
    const now = new Date().toISOString();
    for (const [setId, name, members] of [['4242', 'Engaged shoppers', ENGAGED], ['7', 'Window shoppers', WINDOW], ['9', 'Lapsed', []]] as const) {
      const set = { workspaceId, kind: 'segment' as const, setId };
      await reads.upsertSet(set, { name, createdAt: now, now });
      await store.apply(set, 'visitor', members.map((memberId) => ({ memberId, op: 'add' as const })), changeVersion(Date.now(), 'seed'), now);
    }
    // Seeding 2,503 members through the real store: slow on a loaded 2-core CI machine, not asserted on.
  }, 180_000);

  afterAll(async () => {
    delete process.env.ABTASTY_TOKEN_URL;
    delete process.env.ABTASTY_UDC_URL;
    await fake?.close();
    await hub?.stop();
    jest.restoreAllMocks();
  });

  beforeEach(() => forgetAbTastyTokens());

  /** One delivery as the worker will run it: plan from the segment list, push, report. */
  const push = async () => {
    const reads = dynamoSetReads(hub.doc, hub.tables.cohorts);
    const plan = planDelivery({ account: 'acc-42', partner: 'heaphub', segments: 'all' }, candidatesOf(await allSegments(reads, workspaceId)));
    const report = await deliver(
      {
        tokens: abTastyTokenProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
        sender: abTastyUdcSender({ timeoutMs: 45_000 }), // generous: a loaded CI machine must not turn a slow stream into a retry
        members: membershipMemberSource(reads, workspaceId),
        clock: systemClock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        random: Math.random,
      },
      plan,
      { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 500, maxRetryAfterMs: 5_000 },
    );
    reports.push(report);
    return report;
  };

  it('pushes every member of every non-empty segment, with the token the fake issued for the client', async () => {
    const before = { grants: fake.grants().length, accepted: fake.accepted.length };
    const report = await push();

    expect(fake.grants()).toHaveLength(before.grants + 1);
    const accepted = fake.accepted.at(-1)!;
    expect(accepted).toMatchObject({ account: 'acc-42', partner: 'heaphub', token: fake.issued.at(-1) });
    expect(fake.uploads().at(-1)?.headers['content-type']).toBe('text/csv');
    // Streamed: no Content-Length, the body went out in chunks as the members were read.
    expect(fake.uploads().at(-1)?.headers['transfer-encoding']).toBe('chunked');
    expect(fake.uploads().at(-1)?.headers['content-length']).toBeUndefined();
    expect(accepted.rows.filter((row) => row.segment === 'heap_4242').map((row) => row.visitor_id).sort()).toEqual(ENGAGED);
    expect(accepted.rows.filter((row) => row.segment === 'heap_7').map((row) => row.visitor_id).sort()).toEqual(WINDOW);
    expect(accepted.rows).toHaveLength(ENGAGED.length + WINDOW.length);
    expect(report).toMatchObject({ outcome: 'delivered', status: 200, rows: 2503, refusedRows: 0, skipped: [{ id: '9', reason: 'empty' }] });
    expect(report.bytes).toBe(Buffer.byteLength(fake.uploads().at(-1)!.body));
    expect(report.segments).toEqual([
      { id: '4242', name: 'Engaged shoppers', token: 'heap_4242' },
      { id: '7', name: 'Window shoppers', token: 'heap_7' },
    ]);
    expect(report.attempts).toHaveLength(1);
  });

  it('retries a 429 after its Retry-After and arrives: two attempts in the report', async () => {
    fake.failUploads({ status: 429, retryAfter: '1', message: 'rate limited' });
    const report = await push();

    expect(report.outcome).toBe('delivered');
    expect(report.attempts.map((attempt) => [attempt.status, attempt.verdict])).toEqual([
      [429, 'retry'],
      [200, 'success'],
    ]);
    expect(Date.parse(report.attempts[1]!.at) - Date.parse(report.attempts[0]!.at)).toBeGreaterThanOrEqual(1000);
    expect(fake.accepted.at(-1)?.rows).toHaveLength(2503);
  });

  it('on a 401 grants exactly one new token and resends with it', async () => {
    await push();
    const grants = fake.grants().length;
    const uploads = fake.uploads().length;
    fake.revokeTokens();
    const report = await push();

    // The cache is warm (same container): the only new grant is the refresh after the 401.
    expect(fake.grants()).toHaveLength(grants + 1);
    expect(fake.uploads()).toHaveLength(uploads + 2);
    expect(fake.uploads().at(-2)?.status).toBe(401);
    expect(fake.accepted.at(-1)?.token).toBe(fake.issued.at(-1));
    expect(report.attempts.map((attempt) => attempt.verdict)).toEqual(['refresh-token', 'success']);
  });

  it('records a 400 as failed with the fake AB Tasty answer', async () => {
    fake.failUploads({ status: 400, message: 'unknown partner_name heaphub' });
    const report = await push();
    expect(report).toMatchObject({ outcome: 'failed', status: 400, message: '{"message":"unknown partner_name heaphub"}' });
    expect(report.attempts).toHaveLength(1);
  });

  it('never writes the client secret or an issued token to the logs', () => {
    const text = captured.join('\n');
    expect(text).toContain('AB Tasty UDC answered');
    expect(fake.issued.length).toBeGreaterThanOrEqual(4);
    for (const secret of [CLIENT_SECRET, ...fake.issued]) expect(text).not.toContain(secret);
    expect(reports.length).toBe(5);
    for (const secret of [CLIENT_SECRET, ...fake.issued]) expect(JSON.stringify(reports)).not.toContain(secret);
  });
});
