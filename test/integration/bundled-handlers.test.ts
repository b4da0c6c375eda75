/**
 * The handlers as Lambda runs them: bundled with the CDK stack's esbuild options (scripts/bench/bundles.ts
 * `bundleFunction`), which drop every module a handler does not use (package.json `sideEffects`,
 * adapters/stores.ts `once`). Each bundle runs in a fresh `node` process against the test hub's
 * tables and queues, so a module that tree shaking wrongly dropped fails here, not in AWS.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { bundleFunction } from '../../scripts/bench/bundles';
import { toRecord } from '../../scripts/local/poller';
import { proxyEventOf } from '../../scripts/local/proxy-event';
import type { FunctionKey } from '../../functions/shared/definitions/functions';
import { startTestHub, type TestHub } from './harness';

const execFileAsync = promisify(execFile);

/** Runs `handler(event, context)` of a bundle in a child process; returns what it resolved to. */
const RUNNER = `
const [bundle, eventFile] = process.argv.slice(1);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const context = { functionName: 'bundled', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 30000, callbackWaitsForEmptyEventLoop: false };
require(bundle).handler(event, context).then((result) => { process.stdout.write(JSON.stringify(result ?? null)); process.exit(0); }, (error) => { console.error(error); process.exit(1); });
`;

const proxyEvent = (method: string, path: string, headers: Record<string, string>, body?: string, resource = path, pathParameters?: Record<string, string>) =>
  proxyEventOf({ method, path, resource, headers, body: body ?? null, ...(pathParameters ? { pathParameters } : {}), stage: 'test' });

describe('bundled handlers (as deployed)', () => {
  let hub: TestHub;
  const dir = mkdtempSync(join(tmpdir(), 'bundles-'));

  const invoke = async (key: FunctionKey, event: unknown): Promise<Record<string, unknown>> => {
    const bundle = join(dir, `${key}.js`);
    await bundleFunction(key, bundle);
    const eventFile = join(dir, `${key}-event.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    // Asynchronously: the SQS emulator may run in this very process (jest in band).
    const { stdout } = await execFileAsync(process.execPath, ['-e', RUNNER, bundle, eventFile], {
      env: { ...process.env, NODE_PATH: resolve(__dirname, '..', '..', 'node_modules') },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  it('health answers 200 with every dependency up', async () => {
    const result = await invoke('health', proxyEvent('GET', '/health', {}));

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(String(result.body))).toMatchObject({ status: 'ok', dependencies: { dynamodb: 'up', 'sqs:currents': 'up' } });
  }, 120_000);

  /** The messages waiting in one of the hub's queues, as the SQS event Lambda would get. */
  const queuedEvent = async (queue: 'currents' | 'cohortImport') => {
    const received = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: hub.queues[queue].url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, AttributeNames: ['All'] }));
    expect(received.Messages).toHaveLength(1);
    return { Records: (received.Messages ?? []).map((message) => toRecord(message, `arn:aws:sqs:us-east-1:000000000000:${queue}`)) };
  };

  it('currents ingest and worker store an event and its user; cohort ingest and worker add that user to a cohort', async () => {
    const ws = await hub.createWorkspace();
    const brazeId = '5f0000000000000000000b01';
    const event = { id: 'bundled-1', event_type: 'users.behaviors.CustomEvent', time: 1_764_000_000, user: { user_id: brazeId, external_user_id: 'bundled-customer' }, properties: { name: 'bundled' } };

    const ingest = await invoke(
      'currentsIngest',
      proxyEvent('POST', '/currents', { 'content-type': 'application/json', authorization: `Bearer ${ws.currentsToken}`, 'braze-currents-version': '1' }, JSON.stringify({ events: [event] })),
    );
    expect(ingest.statusCode).toBe(200);

    expect(await invoke('currentsWorker', await queuedEvent('currents'))).toEqual({ batchItemFailures: [] });
    const read = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
    expect(JSON.stringify((await read(`/v1/users/${brazeId}/events`)).body)).toContain('bundled-1');

    const body = { partner_api_key: 'heap-key', client_secret: ws.dataImportKey, cohort_id: 'bundled-cohort', cohort_changes: [{ user_ids: ['bundled-customer'] }] };
    const cohortIngest = await invoke(
      'cohortIngest',
      proxyEvent('POST', '/partners/heap/cohorts/users', { 'content-type': 'application/json' }, JSON.stringify(body), '/partners/{partner}/cohorts/users', { partner: 'heap' }),
    );
    expect(cohortIngest.statusCode).toBe(201);
    expect(await invoke('cohortWorker', await queuedEvent('cohortImport'))).toEqual({ batchItemFailures: [] });
    expect((await read('/v1/cohorts/bundled-cohort/members')).body).toMatchObject({ members: [{ braze_id: brazeId }] });
  }, 180_000);
});
