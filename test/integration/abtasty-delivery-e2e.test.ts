/**
 * AB Tasty delivery, wired end to end (issue 13): the local hub (HTTP server, SQS emulator, the real
 * heap and AB Tasty workers and pollers, DynamoDB Local) pushing to the fake AB Tasty named by
 * ABTASTY_TOKEN_URL / ABTASTY_UDC_URL, with the destination configured by the real admin CLI
 * process (client secret on stdin). Push requests wait the default coalescing delay (20 s), so
 * the "within 60 s" bound is the real one. Every wait polls with a deadline.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { signHeapBody } from '../../functions/domain/heap-signature';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { startFakeAbTasty, type FakeAbTasty } from '../support/fake-abtasty';
import { eventually, startTestHub, type TestHub } from './harness';

const CLIENT_ID = `client-${randomBytes(4).toString('hex')}`;
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const PREFIX = `t${randomBytes(4).toString('hex')}`;
const NAME = 'abtasty-e2e';
const visitors = (from: number, count: number) => Array.from({ length: count }, (_, index) => `v-${String(from + index).padStart(5, '0')}`);

const syncBody = (task: string, page: number, total: number, add: string[], remove: string[] = []) =>
  JSON.stringify({
    action_type: 'segment.users.sync',
    id_token: 'tok',
    customer_config: { fields: [] },
    data: { segment: { id: 4242, name: 'Engaged shoppers' }, sync_info: { page_number: page, total_pages: total, sync_task_id: task }, add: add.map((id) => ({ id })), remove: remove.map((id) => ({ id })) },
  });

describe('AB Tasty delivery wired: Heap sync → queue → worker → fake AB Tasty', () => {
  let hub: TestHub;
  let fake: FakeAbTasty;
  let ws: WorkspaceCredentials;
  let hubDir: string;

  beforeAll(async () => {
    fake = await startFakeAbTasty({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
    hub = await startTestHub({ prefix: PREFIX, env: { POWERTOOLS_LOG_LEVEL: 'SILENT', ABTASTY_TOKEN_URL: fake.tokenUrl, ABTASTY_UDC_URL: fake.udcUrl } });
    ws = await hub.createWorkspace({ name: NAME });
    // What `npm start` leaves for the admin CLI: the running stack's endpoints and the local secret key.
    hubDir = mkdtempSync(join(tmpdir(), 'hub-abtasty-'));
    writeFileSync(join(hubDir, 'runtime.json'), JSON.stringify({ dynamoEndpoint: process.env.HUB_TEST_DYNAMO_ENDPOINT, sqsEndpoint: process.env.HUB_TEST_SQS_ENDPOINT, prefix: PREFIX, url: hub.url, pid: process.pid }));
    writeFileSync(join(hubDir, 'secret-key.json'), JSON.stringify({ key: hub.secretKey }));
  });

  afterAll(async () => {
    await hub?.stop();
    await fake?.close();
    delete process.env.ABTASTY_TOKEN_URL;
    delete process.env.ABTASTY_UDC_URL;
    rmSync(hubDir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  /** Runs `npm run admin -- <args>` against this hub, `stdin` piped in. */
  const admin = (args: string[], stdin = '') =>
    new Promise<{ code: number | null; output: string }>((done) => {
      const child = spawn(process.execPath, [resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/admin.ts', ...args], {
        env: { ...process.env, HUB_DIR: hubDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => done({ code, output }));
      child.stdin.end(stdin);
    });
  const sendHeap = (raw: string) =>
    hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw, headers: { 'Heap-Hash': signHeapBody(ws.heapWebhookSecret, raw, Date.now()) } });
  /** Messages in the delivery queue, delayed ones included. */
  const deliveryQueueEmpty = async () => {
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
    const { Attributes } = await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: hub.queues.abTastyDelivery.url, AttributeNames: [...names] }));
    return names.every((name) => Number(Attributes?.[name] ?? 0) === 0) ? true : undefined;
  };

  it('configures the destination through the admin CLI, the client secret read from stdin and shown nowhere', async () => {
    const set = await admin(
      ['workspace', 'set', '--name', NAME, '--abtasty-account', 'acc-42', '--abtasty-partner', 'heaphub', '--abtasty-client-id', CLIENT_ID, '--abtasty-client-secret', '-'],
      `${CLIENT_SECRET}\n`,
    );
    const refused = await admin(['workspace', 'set', '--name', NAME, '--abtasty-value', 'two words']);
    const shown = await admin(['workspace', 'show', '--name', NAME, '--json']);

    expect(set).toEqual({ code: 0, output: expect.stringContaining('updated') });
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('"two_words" is the nearest value it accepts');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.output).abTasty).toEqual({ account: 'acc-42', partner: 'heaphub', clientId: CLIENT_ID, clientSecret: 'set', segments: 'all', enabled: true });
    for (const output of [set.output, refused.output, shown.output]) expect(output).not.toContain(CLIENT_SECRET);
  });

  it('a signed two-page sync run leads within 60 s to one push with the issued bearer, text/csv and every member; a 429 is retried and the report lists both attempts', async () => {
    const page1 = visitors(0, 150);
    const page2 = visitors(150, 90);
    const removed = page1.slice(0, 10);
    const members = [...page1.slice(10), ...page2].sort();
    fake.failUploads({ status: 429, retryAfter: '1', message: 'rate limited' });

    const answers = [await sendHeap(syncBody('run-1', 1, 2, page1)), await sendHeap(syncBody('run-1', 2, 2, page2, removed))];
    const answeredAt = Date.now();
    const accepted = await eventually(() => Promise.resolve(fake.accepted[0]), 60_000, 'the push to arrive at the fake AB Tasty');
    const [rateLimited, arrived] = fake.uploads();
    console.log(`[measure] last Heap page answered → first upload ${rateLimited!.at - answeredAt} ms, → accepted upload ${arrived!.at - answeredAt} ms (coalescing delay 20 s, Retry-After 1 s)`);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const [grant] = fake.grants();
    expect(JSON.parse(grant!.body)).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials' });
    expect(accepted).toMatchObject({ account: 'acc-42', partner: 'heaphub', token: fake.issued[0] });
    expect(fake.uploads().map((upload) => [upload.path, upload.status, upload.headers['content-type'], upload.headers.authorization])).toEqual([
      ['/accounts/acc-42/segments/heaphub', 429, 'text/csv', `Bearer ${fake.issued[0]}`],
      ['/accounts/acc-42/segments/heaphub', 200, 'text/csv', `Bearer ${fake.issued[0]}`],
    ]);
    expect(accepted.rows.map((row) => row.visitor_id).sort()).toEqual(members);
    expect(new Set(accepted.rows.map((row) => row.segment))).toEqual(new Set(['heap_4242']));

    // The delivery report, read as a user would: GET /v1/destinations/abtasty/deliveries (Bearer apiKey).
    const readReports = async () => {
      const response = await fetch(`${hub.url}/v1/destinations/abtasty/deliveries?segment_id=4242`, { headers: { authorization: `Bearer ${ws.apiKey}` } });
      return { status: response.status, text: await response.text() };
    };
    const listed = await eventually(async () => {
      const answer = await readReports();
      return answer.status === 200 && (JSON.parse(answer.text) as { deliveries: unknown[] }).deliveries.length > 0 ? answer : undefined;
    }, 10_000, 'the delivery report');
    const [stored] = (JSON.parse(listed.text) as { deliveries: { outcome: string; status: number; rows: number; segments: unknown[]; attempts: { step: string; status: number; verdict: string }[] }[] }).deliveries;
    expect(stored).toMatchObject({ outcome: 'delivered', status: 200, rows: members.length, segments: [{ id: '4242', name: 'Engaged shoppers', token: 'heap_4242' }] });
    expect(stored!.attempts.map((attempt) => [attempt.step, attempt.status, attempt.verdict])).toEqual([
      ['upload', 429, 'retry'],
      ['upload', 200, 'success'],
    ]);
    // Both pages asked for a push; once every request is processed, there was still only the one.
    await eventually(deliveryQueueEmpty, 60_000, 'the delivery queue to drain');
    expect(fake.accepted).toHaveLength(1);
    expect(listed.text).not.toContain(CLIENT_SECRET);
    expect(listed.text).not.toContain(fake.issued[0]);
  }, 180_000);

  it('the refresh sweep re-pushes a configured workspace whose last push is over a day old', async () => {
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const sweep = { type: 'sweep', dedupeKey: `abtasty-sweep#${inTwoDays}`, scheduledAt: inTwoDays };

    await hub.sqs.send(new SendMessageCommand({ QueueUrl: hub.queues.abTastyDelivery.url, MessageBody: JSON.stringify(sweep) }));

    const refreshed = await eventually(() => Promise.resolve(fake.accepted[1]), 30_000, 'the refresh push');
    expect(refreshed.rows).toHaveLength(fake.accepted[0]!.rows.length);
  });

  it('--abtasty-disable stops the pushes and keeps the settings', async () => {
    const disabled = await admin(['workspace', 'set', '--name', NAME, '--abtasty-disable']);
    const before = fake.accepted.length;
    const request = { type: 'push', dedupeKey: `abtasty#disabled#${Date.now()}`, workspaceId: ws.workspaceId, requestedAt: Date.now(), reason: 'change' };

    await hub.sqs.send(new SendMessageCommand({ QueueUrl: hub.queues.abTastyDelivery.url, MessageBody: JSON.stringify(request) }));
    await eventually(deliveryQueueEmpty, 30_000, 'the push request to be processed');

    expect(disabled.code).toBe(0);
    expect(fake.accepted).toHaveLength(before);
    expect(JSON.parse((await admin(['workspace', 'show', '--name', NAME, '--json'])).output).abTasty).toMatchObject({ account: 'acc-42', enabled: false });
  });
});
