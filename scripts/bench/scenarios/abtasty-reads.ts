/**
 * The AB Tasty hot paths over HTTP on the local server, 8 concurrent clients, side by side in one
 * run: `GET /abtasty/visitors/{id}/segments` and `GET /abtasty/visitors/{id}/context`, each with the
 * warm-process credential pointer cache (what a warm Lambda does) and without it (the pointer read
 * every request, as before the cache). DynamoDB calls per request are counted, not assumed. The
 * load comes from `node:http` with a keep-alive agent: it runs in the same process as the local
 * server, and `fetch` (undici) cost about as much CPU per request as the route itself, which the
 * earlier figures counted as route latency.
 */
import { Agent, request } from 'node:http';
import { dynamoWorkspaceStore, forgetCredentialPointers } from '../../../functions/adapters/workspace-store';
import type { BenchContext } from '../run';
import { percentile, round, timedLoad } from '../stats';
import { untilQuiet } from './common';
import { heapState } from './heap-sync';

export const READ_CONCURRENCY = 8;

/** One GET on a kept-alive connection: the status once the body has been read. */
const get = (agent: Agent, url: string, token: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, headers: { Authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });


/** `count` GETs of `route` for the scenario's visitors; `cold` forgets the credential pointers before each request. */
const measure = async (context: BenchContext, route: 'segments' | 'context', count: number, cold: boolean) => {
  const visitors = heapState.visitorIds ?? [];
  const token = heapState.workspaceToken ?? '';
  const agent = new Agent({ keepAlive: true, maxSockets: READ_CONCURRENCY });
  // The counter sees the whole process: let the work earlier scenarios left running finish first.
  await untilQuiet(context);
  context.counter.reset();
  const latencies = await timedLoad(count, READ_CONCURRENCY, async (index) => {
    if (cold) forgetCredentialPointers();
    const status = await get(agent, `${context.hub.url}/abtasty/visitors/${visitors[index % visitors.length]}/${route}`, token);
    if (status !== 200) throw new Error(`visitor ${route} answered ${status}`);
  });
  agent.destroy();
  return {
    samples: latencies.length,
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    concurrency: READ_CONCURRENCY,
    dynamoCallsPerRequest: round(context.counter.total() / count, 2),
    // By operation: everything the process called meanwhile, background workers included.
    dynamoCalls: { ...context.counter.counts },
  };
};

/** The four measurements, after a warm-up of each route; undefined when the Heap scenario left no visitors. */
export const abTastyReadResults = async (context: BenchContext): Promise<Record<string, unknown> | undefined> => {
  if (!heapState.visitorIds?.length || !heapState.workspaceToken || !heapState.workspaceId) return undefined;
  // The context route answers for the workspace's AB Tasty destination: configure one (all segments).
  await dynamoWorkspaceStore(context.doc, context.hub.tables.workspaces).update(heapState.workspaceId, {
    abTasty: { account: 'bench', partner: 'heapsync', clientId: 'bench', clientSecretCiphertext: 'unused', segments: 'all', enabled: true },
  });
  const reads = Math.max(100, Math.round(2000 * context.scale));
  await measure(context, 'segments', 50, false);
  await measure(context, 'context', 50, false);
  return {
    abTastyVisitorSegmentsHttp: await measure(context, 'segments', reads, false),
    abTastyVisitorContextHttp: await measure(context, 'context', reads, false),
    abTastyVisitorSegmentsHttpNoPointerCache: await measure(context, 'segments', reads, true),
    abTastyVisitorContextHttpNoPointerCache: await measure(context, 'context', reads, true),
  };
};
