/**
 * Back-pressure (cohort import, Heap webhook, Currents): the hub's SQS endpoint is a TCP proxy (node:net, 127.0.0.1) in front of the suite's
 * SQS emulator; cutting the proxy is "the queue is down". Ingest must then answer 503 + Retry-After
 * and queue nothing (whole-or-nothing, also for a Heap page that spans several messages); once the
 * proxy is back the same requests are accepted, the workers drain and the DLQs stay empty.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { directoryStore } from '../../../functions/adapters/directory';
import type { WorkspaceCredentials } from '../../../functions/schemas/workspace';
import type { QueueKey } from '../../../functions/shared/definitions/queues';
import { localClients } from '../../../scripts/local/hub';
import { endpoints, eventually, startTestHub, type TestHub, type TestResponse } from '../harness';
import { cohortBody, currentsBody, heapHeaders, heapSyncBody } from './routes';

/** A TCP proxy on 127.0.0.1 that can be cut (listener closed, live connections destroyed) and restored on the same port. */
const startProxy = async (target: URL) => {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server?.address();
        if (typeof address === 'object' && address) port = address.port;
        resolve();
      });
    });
  await listen();
  return {
    url: () => `http://127.0.0.1:${port}`,
    cut: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server) return resolve();
        server.close(() => resolve());
      }),
    restore: listen,
  };
};

describe('back-pressure: the queue goes away and comes back', () => {
  let hub: TestHub;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let direct: SQSClient;
  let ws: WorkspaceCredentials;
  beforeAll(async () => {
    const { dynamoEndpoint, sqsEndpoint } = endpoints();
    proxy = await startProxy(new URL(sqsEndpoint));
    // 60 s visibility (AWS sets it from the worker timeout): a 10,000-visitor page that is slow under CI load must not be redelivered mid-apply.
    hub = await startTestHub({ sqsEndpoint: proxy.url(), visibilitySeconds: 60 });
    // Counts are read straight from the emulator, not through the proxy.
    direct = localClients(dynamoEndpoint, sqsEndpoint).sqs;
    ws = await hub.createWorkspace({ partnerName: 'segment' });
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const now = new Date().toISOString();
    for (let user = 0; user < 20; user += 1) {
      await directory.createProfile(ws.workspaceId, `braze-${user}`, now);
      await directory.claim(ws.workspaceId, `braze-${user}`, { kind: 'external_id', value: `u-${user}` }, now);
    }
  });
  afterAll(async () => {
    await hub.stop();
    await proxy.cut();
  });

  const depth = async (url: string) => {
    const { Attributes } = await direct.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  const allDepths = async () => {
    const keys: QueueKey[] = ['cohortImport', 'heapSync', 'currents'];
    return Object.fromEntries(await Promise.all(keys.flatMap((key) => [
      depth(hub.queues[key].url).then((value) => [key, value] as const),
      depth(hub.queues[key].dlqUrl).then((value) => [`${key}DLQ`, value] as const),
    ])));
  };

  // A Heap page of 10,000 visitors with 32-character ids (~350 KB of ids): two SQS messages, sent
  // in two SendMessageBatch calls (256 KiB per call), so "whole or nothing" spans several calls.
  const VISITORS = 10_000;
  const bigPage = heapSyncBody('4242', Array.from({ length: VISITORS }, (_, index) => `v-${String(index).padStart(6, '0')}-${'a'.repeat(23)}`), [], 1, 1, 'task-big');
  const currentsBatch = currentsBody('5f1e2d3c4b5a69788796a5b4', 'u-1', 'bp-event-1');
  const ingest = (): Promise<TestResponse[]> =>
    Promise.all([
      hub.request('POST', '/partners/segment/cohorts', { raw: cohortBody(ws, { cohort_id: 'bp', name: 'Back-pressure', created_at: '2026-01-01T00:00:00Z' }) }),
      hub.request('POST', '/partners/segment/cohorts/users', { raw: cohortBody(ws, { cohort_id: 'bp', cohort_changes: [{ user_ids: Array.from({ length: 20 }, (_, index) => `u-${index}`) }] }) }),
      hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw: bigPage, headers: heapHeaders(ws.heapWebhookSecret, bigPage) }),
      hub.request('POST', '/currents', { raw: currentsBatch, headers: { Authorization: `Bearer ${ws.currentsToken}` } }),
    ]);

  it('answers 503 + Retry-After while the queue is unreachable, queues nothing, and accepts everything once it is back', async () => {
    // Arrange: the queue endpoint is gone.
    await proxy.cut();

    // Act
    const started = Date.now();
    const refused = await ingest();
    const refusedMs = Date.now() - started;
    const health = await hub.request('GET', '/health');

    // Assert: refused whole, nothing half-accepted.
    expect(refused.map((response) => response.status)).toEqual([503, 503, 503, 503]);
    for (const response of refused) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(response.body).toMatchObject({ message: expect.stringContaining('nothing was accepted') });
    }
    expect(health.status).toBe(503);
    expect(await allDepths()).toEqual({ cohortImport: 0, cohortImportDLQ: 0, heapSync: 0, heapSyncDLQ: 0, currents: 0, currentsDLQ: 0 });

    // Act: the queue comes back; the senders retry.
    await proxy.restore();
    const accepted = await ingest();

    // Assert: accepted, drained by the workers, nothing dead-lettered.
    expect(accepted.map((response) => response.status)).toEqual([201, 201, 200, 200]);
    expect((await hub.request('GET', '/health')).status).toBe(200);
    const importId = accepted[1]?.body.import_id as string;
    const report = await eventually(async () => {
      const response = await hub.request('GET', `/v1/cohorts/bp/imports/${importId}`, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
      return response.body?.status === 'applied' ? response.body : undefined;
    }, 120_000, 'cohort import applied');
    const segment = await eventually(async () => {
      const response = await hub.request('GET', '/abtasty/segments', { headers: { Authorization: `Bearer ${ws.abTastyToken}` } });
      const found = (response.body.segments as { id: string; member_count: number }[]).find((candidate) => candidate.id === '4242');
      return found?.member_count === VISITORS ? found : undefined;
    }, 120_000, 'Heap page applied');
    await eventually(async () => (Object.values(await allDepths()).every((value) => value === 0) ? true : undefined), 120_000, 'queues drained');
    expect(report).toMatchObject({ status: 'applied', matched: 20, added: 20 });
    expect(segment.member_count).toBe(VISITORS);
    console.log(`back-pressure: 503 + Retry-After for all 4 ingest requests (cohort upsert, cohort import, 10,000-visitor Heap page, Currents batch) in ${refusedMs} ms with the queue cut, 0 messages queued; after restore 4/4 accepted, queues drained, DLQs empty`);
  }, 400_000);
});
