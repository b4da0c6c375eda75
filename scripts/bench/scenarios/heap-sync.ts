/**
 * Heap segment sync: 100,000 visitor changes in signed pages of ≤ 10,000 (80 % adds then removes of
 * a quarter of those visitors), from webhook to applied membership, into one segment or several. No
 * identity resolution is needed, so the ideal is one BatchWriteItem per 25 changes.
 */
import { randomBytes } from 'node:crypto';
import { signHeapBody } from '../../../functions/domain/heap-signature';
import type { Scenario } from '../run';
import { floorMember, memberCount, summarise, waitForPipeline } from './common';

const PAGE = 10_000;

export interface HeapScenarioState {
  workspaceId?: string;
  workspaceToken?: string;
  visitorIds?: string[];
}

/** Visitors and token left behind for the request-path scenario's AB Tasty reads. */
export const heapState: HeapScenarioState = {};

/** Signed webhook bodies of one segment's sync: its adds in pages, then the removes of the first ones. */
const segmentBodies = (segmentId: number, visitors: readonly string[], removes: readonly string[], pageSize: number, task: string): string[] => {
  const pages: { op: 'add' | 'remove'; ids: readonly string[] }[] = [];
  for (let start = 0; start < visitors.length; start += pageSize) pages.push({ op: 'add', ids: visitors.slice(start, start + pageSize) });
  for (let start = 0; start < removes.length; start += pageSize) pages.push({ op: 'remove', ids: removes.slice(start, start + pageSize) });
  return pages.map((page, index) =>
    JSON.stringify({
      action_type: 'segment.users.sync',
      id_token: 'bench-id-token',
      customer_config: { fields: [] },
      data: {
        segment: { id: segmentId, name: `Bench segment ${segmentId}` },
        sync_info: { page_number: index + 1, total_pages: pages.length, sync_task_id: task },
        add: page.op === 'add' ? page.ids.map((id) => ({ id })) : [],
        remove: page.op === 'remove' ? page.ids.map((id) => ({ id })) : [],
      },
    }),
  );
};

/**
 * 100,000 changes over `segments` segments (80 % adds, then removes of a quarter of those), pages of
 * ≤ 10,000. One segment measures how fast one set absorbs a sync; several, how syncs of many sets share the hub.
 */
const heapSync = (name: string, segments: number): Scenario => ({
  name,
  async run(context) {
    const total = Math.max(100, Math.round(100_000 * context.scale));
    const perSegment = Math.round(total / segments);
    const pageSize = Math.min(PAGE, perSegment / 10);
    const workspace = await context.createWorkspace();
    const adds = Math.round(perSegment * 0.8);
    // Heap runs one sync task per segment: each segment's pages carry their own sync_task_id.
    const syncs = Array.from({ length: segments }, (_, index) => {
      const visitors = Array.from({ length: adds }, (_, n) => `${(index * adds + n).toString(16).padStart(8, '0')}-${randomBytes(6).toString('hex')}`);
      const removes = visitors.slice(0, perSegment - adds);
      return { segmentId: index + 1, visitors, removes, bodies: segmentBodies(index + 1, visitors, removes, pageSize, `bench-${randomBytes(4).toString('hex')}`) };
    });
    // Segments take turns page by page, as several Heap syncs running at once would.
    const bodies = Array.from({ length: Math.max(...syncs.map((sync) => sync.bodies.length)) }, (_, page) => syncs.flatMap((sync) => sync.bodies.slice(page, page + 1))).flat();

    context.counter.reset();
    const started = performance.now();
    // Pages in order, as Heap sends them; each answer means the page is durably queued.
    for (const body of bodies) {
      const response = await fetch(`${context.hub.url}/heap/segments/${workspace.workspaceId}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Heap-Hash': signHeapBody(workspace.heapWebhookSecret, body, Date.now()) },
        body,
      });
      if (response.status !== 200) throw new Error(`heap webhook answered ${response.status}: ${await response.text()}`);
    }
    const ingestMsPerPage = (performance.now() - started) / bodies.length;
    const expected = adds - (perSegment - adds);
    const synced = async () => {
      for (const sync of syncs) if ((await memberCount(context, { workspaceId: workspace.workspaceId, kind: 'segment', setId: String(sync.segmentId) })) !== expected) return false;
      return true;
    };
    await waitForPipeline(context, 'heapSync', synced);
    const seconds = (performance.now() - started) / 1000;
    const first = syncs[0];
    heapState.workspaceId = workspace.workspaceId;
    heapState.workspaceToken = workspace.abTastyToken;
    heapState.visitorIds = first ? first.visitors.slice(first.removes.length) : [];

    return summarise(context, {
      changes: perSegment * segments,
      seconds,
      unit: 'changes/s',
      idealRequestsPerChange: 1 / 25,
      floorTable: context.hub.tables.cohorts,
      floorItem: (index) => floorMember('segment', `v${index}`, { kind: 'heap_sync', syncTaskId: 'bench-00000000', page: 1 + Math.floor(index / pageSize) }),
      extra: { segments, pages: bodies.length, pageSize, members: expected * segments, ingestMsPerPage: Math.round(ingestMsPerPage) },
    });
  },
});

/** Every change into one segment: the single-set case the count shards exist for. */
export const heapSyncSingleSetScenario = heapSync('heapSyncSingleSet', 1);
/** The same 100,000 changes spread over 10 segments syncing at once. */
export const heapSyncManySetsScenario = heapSync('heapSyncManySets', 10);
