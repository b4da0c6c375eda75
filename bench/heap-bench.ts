/**
 * Scratch benchmark (not a test; nothing asserted): Heap pages through the local pipeline, and the
 * latency of GET /abtasty/visitors/{id}/segments over HTTP. Run: `npx tsx bench/heap-bench.ts`.
 * Env: VISITORS (20000), PAGE (10000), POLLERS (2), REQUESTS (2000), CONCURRENCY (8), PORT (3103).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoLocal, startSqsEmulator } from '../scripts/local/services';
import { startHub } from '../scripts/local/hub';
import { dynamoWorkspaceStore } from '../functions/adapters/workspace-store';
import { localSecretBox } from '../functions/adapters/secret-box';
import { createWorkspace } from '../functions/domain/workspaces';
import { systemClock } from '../functions/domain/ports';
import { signHeapBody } from '../functions/domain/heap-signature';
import { setPk } from '../functions/adapters/membership-store';

const VISITORS = Number(process.env.VISITORS ?? 20000);
const PAGE = Number(process.env.PAGE ?? 10000);
const POLLERS = Number(process.env.POLLERS ?? 2);
const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const main = async () => {
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const dynamo = await startDynamoLocal();
  const sqs = await startSqsEmulator();
  const secretKey = randomBytes(32).toString('base64');
  const hub = await startHub({
    dynamoEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    port: Number(process.env.PORT ?? 3103),
    secretKey,
    prefix: `bench${randomBytes(3).toString('hex')}`,
    pollerConcurrency: POLLERS,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  const doc = DynamoDBDocumentClient.from(hub.dynamo);
  try {
    const ws = await createWorkspace(
      { store: dynamoWorkspaceStore(doc, hub.tables.workspaces), secrets: localSecretBox(secretKey), clock: systemClock },
      { name: 'bench' },
    );
    const post = async (raw: string) => {
      const started = performance.now();
      const response = await fetch(`${hub.url}/heap/segments/${ws.workspaceId}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Heap-Hash': signHeapBody(ws.heapWebhookSecret, raw, Date.now()) },
        body: raw,
      });
      const body = (await response.json()) as Record<string, unknown>;
      return { status: response.status, ms: performance.now() - started, bytes: Buffer.byteLength(raw), body };
    };
    const visitorIds = Array.from({ length: VISITORS }, (_, index) => `${index.toString(16).padStart(8, '0')}-${randomBytes(8).toString('hex')}`);
    const syncPages = (segmentId: number, task: string, ids: string[], op: 'add' | 'remove') => {
      const total = Math.ceil(ids.length / PAGE);
      return Array.from({ length: total }, (_, page) =>
        JSON.stringify({
          action_type: 'segment.users.sync',
          id_token: 'bench',
          customer_config: { fields: [] },
          data: {
            segment: { id: segmentId, name: `Bench segment ${segmentId}` },
            sync_info: { page_number: page + 1, total_pages: total, sync_task_id: task },
            add: op === 'add' ? ids.slice(page * PAGE, (page + 1) * PAGE).map((id) => ({ id })) : [],
            remove: op === 'remove' ? ids.slice(page * PAGE, (page + 1) * PAGE).map((id) => ({ id })) : [],
          },
        }),
      );
    };
    const memberCount = async (segmentId: number) =>
      ((await doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: { pk: setPk({ workspaceId: ws.workspaceId, kind: 'segment', setId: String(segmentId) }), sk: 'META' } }))).Item?.memberCount as number | undefined) ?? 0;
    const waitFor = async (segmentId: number, count: number) => {
      for (;;) {
        if ((await memberCount(segmentId)) === count) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const { membershipStore } = await import('../functions/adapters/stores');
    const counter = membershipStore().counter;

    const run = async (label: string, segmentId: number, task: string, ids: string[], op: 'add' | 'remove', expected: number) => {
      const before = { ...counter };
      const started = performance.now();
      const posts = [];
      for (const raw of syncPages(segmentId, task, ids, op)) posts.push(await post(raw));
      const queuedAt = performance.now();
      await waitFor(segmentId, expected);
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${label}: ${ids.length} ${op}s in ${posts.length} page(s); webhook ${posts.map((p) => `${p.status} ${p.ms.toFixed(0)} ms / ${(p.bytes / 1024).toFixed(0)} KiB`).join(', ')}; ` +
          `queued after ${((queuedAt - started) / 1000).toFixed(2)} s, applied after ${seconds.toFixed(2)} s → ${(ids.length / seconds).toFixed(0)} visitor changes/s; ` +
          `DynamoDB: ${counter.batchGet - before.batchGet} BatchGet, ${counter.transactWrite - before.transactWrite} TransactWrite, ${counter.retries - before.retries} retries`,
      );
    };

    await run('segment 1 (initial sync)', 1, 'run-1', visitorIds, 'add', VISITORS);
    await run('segment 2', 2, 'run-2', visitorIds.slice(0, 5000), 'add', 5000);
    await run('segment 3', 3, 'run-3', visitorIds.slice(2500, 7500), 'add', 5000);
    await run('segment 1 (half leave)', 1, 'run-4', visitorIds.slice(0, VISITORS / 2), 'remove', VISITORS / 2);

    // UDC CSV of the largest segment, and the segment list.
    for (const path of ['/abtasty/segments/1/udc.csv', '/abtasty/segments']) {
      const started = performance.now();
      const response = await fetch(`${hub.url}${path}`, { headers: { Authorization: `Bearer ${ws.abTastyToken}` } });
      const text = await response.text();
      console.log(`GET ${path}: ${response.status}, ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB, rows ${response.headers.get('x-row-count') ?? '-'}, ${(performance.now() - started).toFixed(0)} ms`);
    }

    // Hot path latency over HTTP with concurrency (warm containers: the name cache is loaded once).
    const latencies: number[] = [];
    let etagHits = 0;
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const index = next++;
        const id = visitorIds[(index * 7919) % visitorIds.length] ?? 'x';
        const started = performance.now();
        const response = await fetch(`${hub.url}/abtasty/visitors/${id}/segments`, { headers: { Authorization: `Bearer ${ws.abTastyToken}` } });
        await response.text();
        latencies.push(performance.now() - started);
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        const again = await fetch(`${hub.url}/abtasty/visitors/${id}/segments`, {
          headers: { Authorization: `Bearer ${ws.abTastyToken}`, 'If-None-Match': response.headers.get('etag') ?? '' },
        });
        await again.text();
        if (again.status === 304) etagHits += 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `GET /abtasty/visitors/{id}/segments: ${REQUESTS} requests (+${REQUESTS} revalidations, ${etagHits} × 304), concurrency ${CONCURRENCY}: ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1]?.toFixed(1)} ms; ` +
        `${((REQUESTS * 2) / seconds).toFixed(0)} req/s overall`,
    );
  } finally {
    await hub.stop();
    await sqs.stop();
    await dynamo.stop();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
