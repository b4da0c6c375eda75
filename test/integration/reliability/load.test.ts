/**
 * Load: autocannon against the local hub's HTTP server on 127.0.0.1 (never another address) for
 * HUB_LOAD_SECONDS (npm run test:load: 60 s; npm test: 5 s) of mixed traffic — Braze cohort imports,
 * Heap sync pages, Braze Currents batches, AB Tasty reads and read API calls at once. Asserted: every response 2xx, no
 * connection errors or timeouts, then the workers drain every queue, the DLQs stay empty and every
 * visitor the accepted Heap pages added is a segment member. p50/p99 and requests/s are printed.
 */
import autocannon from 'autocannon';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { directoryStore } from '../../../functions/adapters/directory';
import type { WorkspaceCredentials } from '../../../functions/schemas/workspace';
import type { QueueKey } from '../../../functions/shared/definitions/queues';
import { eventually, startTestHub, type TestHub } from '../harness';
import { cohortBody, currentsBody, heapHeaders, heapSyncBody } from './routes';

const SECONDS = Number(process.env.HUB_LOAD_SECONDS ?? 5);
const USERS = 200;
const VISITORS_PER_PAGE = 20;

interface Traffic {
  readonly name: string;
  readonly connections: number;
  /** Requests per second across the connections (undefined: as fast as the hub answers). */
  readonly rate?: number;
  readonly requests: autocannon.Request[];
}

describe('load: sustained mixed traffic on the local hub', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  beforeAll(async () => {
    // 60 s visibility: a worker batch that is slow under load must not be redelivered mid-run.
    hub = await startTestHub({ visibilitySeconds: 60, pollerConcurrency: 2 });
    expect(new URL(hub.url).hostname).toBe('127.0.0.1');
    ws = await hub.createWorkspace({ partnerName: 'segment' });
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const now = new Date().toISOString();
    for (let user = 0; user < USERS; user += 1) {
      await directory.createProfile(ws.workspaceId, `braze-${user}`, now);
      await directory.claim(ws.workspaceId, `braze-${user}`, { kind: 'external_id', value: `u-${user}` }, now);
    }
    for (let cohort = 0; cohort < 5; cohort += 1) {
      const response = await hub.request('POST', '/partners/segment/cohorts', { raw: cohortBody(ws, { cohort_id: `c-${cohort}`, name: `Cohort ${cohort}`, created_at: '2026-01-01T00:00:00Z' }) });
      expect(response.status).toBe(201);
    }
    const seed = heapSyncBody('4242', ['v-seed']);
    expect((await hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw: seed, headers: heapHeaders(ws.heapWebhookSecret, seed) })).status).toBe(200);
  });
  afterAll(() => hub.stop());

  const depth = async (url: string) => {
    const { Attributes } = await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  it(`answers ${SECONDS} s of mixed traffic with 0 errors and 0 non-2xx, then drains with empty DLQs`, async () => {
    let importCounter = 0;
    let pageCounter = 0;
    let currentsCounter = 0;
    const heapPages: number[] = [];
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const traffic: Traffic[] = [
      {
        name: 'cohort imports',
        connections: 2,
        rate: 20,
        requests: [
          {
            method: 'POST',
            path: '/partners/segment/cohorts/users',
            setupRequest: (request) => {
              importCounter += 1;
              const users = Array.from({ length: 10 }, (_, index) => `u-${(importCounter * 10 + index) % USERS}`);
              const body = cohortBody(ws, { cohort_id: `c-${importCounter % 5}`, cohort_changes: [{ user_ids: users, should_remove: importCounter % 7 === 0 }] });
              return { ...request, headers: { 'content-type': 'application/json' }, body };
            },
          },
        ],
      },
      {
        name: 'Heap pages',
        connections: 2,
        rate: 20,
        requests: [
          {
            method: 'POST',
            path: `/heap/segments/${ws.workspaceId}`,
            setupRequest: (request) => {
              pageCounter += 1;
              const page = pageCounter;
              heapPages.push(page);
              const body = heapSyncBody('4242', Array.from({ length: VISITORS_PER_PAGE }, (_, index) => `v-${page}-${index}`), [], 1, 1, `task-${page}`);
              return { ...request, headers: { 'content-type': 'application/json', ...heapHeaders(ws.heapWebhookSecret, body) }, body };
            },
          },
        ],
      },
      {
        name: 'Currents batches',
        connections: 2,
        rate: 20,
        requests: [
          {
            method: 'POST',
            path: '/currents',
            setupRequest: (request) => {
              currentsCounter += 1;
              const user = currentsCounter % USERS;
              const body = currentsBody(`${String(user).padStart(24, 'c')}`, `u-${user}`, `load-${currentsCounter}`);
              return { ...request, headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.currentsToken}` }, body };
            },
          },
        ],
      },
      {
        name: 'AB Tasty reads',
        connections: 2,
        requests: [
          { method: 'GET', path: '/abtasty/visitors/v-seed/segments', headers: bearer(ws.abTastyToken) },
          { method: 'GET', path: '/abtasty/segments', headers: bearer(ws.abTastyToken) },
          { method: 'GET', path: '/abtasty/segments/4242/visitors?limit=100', headers: bearer(ws.abTastyToken) },
        ],
      },
      {
        name: 'read API',
        connections: 2,
        requests: [
          { method: 'GET', path: '/v1/cohorts', headers: bearer(ws.apiKey) },
          { method: 'GET', path: '/v1/cohorts/c-1/members?limit=50', headers: bearer(ws.apiKey) },
          { method: 'GET', path: '/v1/users?external_id=u-1', headers: bearer(ws.apiKey) },
          { method: 'GET', path: `/v1/users/${'1'.padStart(24, 'c')}/events?limit=20`, headers: bearer(ws.apiKey) },
        ],
      },
    ];

    const results = await Promise.all(
      traffic.map((kind) =>
        autocannon({
          url: hub.url,
          connections: kind.connections,
          duration: SECONDS,
          timeout: 10,
          ...(kind.rate === undefined ? {} : { overallRate: kind.rate }),
          requests: kind.requests,
        }),
      ),
    );

    const lines = results.map((result, index) =>
      `${traffic[index]?.name ?? '?'}: ${result.requests.total} requests, ${result.requests.average} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
    );
    const total = results.reduce((sum, result) => sum + result.requests.total, 0);
    console.log(`load: ${SECONDS} s on ${hub.url}, ${total} requests, ${(total / SECONDS).toFixed(1)} req/s overall\n${lines.join('\n')}`);
    for (const result of results) {
      expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({ non2xx: 0, errors: 0, timeouts: 0 });
      expect(result['2xx']).toBeGreaterThan(0);
    }

    // The workers catch up: every queue drains, nothing is dead-lettered, every added visitor is a member.
    const started = Date.now();
    const keys: QueueKey[] = ['cohortImport', 'heapSync', 'currents'];
    await eventually(async () => {
      const depths = await Promise.all(keys.map((key) => depth(hub.queues[key].url)));
      return depths.every((value) => value === 0) ? true : undefined;
    }, 240_000, 'queues drained after the load');
    const dead = await Promise.all(keys.map((key) => depth(hub.queues[key].dlqUrl)));
    const segment = ((await hub.request('GET', '/abtasty/segments', { headers: bearer(ws.abTastyToken) })).body.segments as { id: string; member_count: number }[]).find((found) => found.id === '4242');
    console.log(`load: queues drained ${((Date.now() - started) / 1000).toFixed(1)} s after the load; DLQ depths ${dead.join(', ')}; segment 4242 has ${segment?.member_count} members from ${heapPages.length + 1} pages`);
    expect(dead).toEqual([0, 0, 0]);
    // Pages still in flight when autocannon stopped were answered but not counted by it.
    expect(segment?.member_count).toBeGreaterThanOrEqual(results[1]!['2xx'] * VISITORS_PER_PAGE + 1);
    expect(segment?.member_count).toBeLessThanOrEqual(heapPages.length * VISITORS_PER_PAGE + 1);
  }, 120_000 + SECONDS * 1000 + 240_000);
});
