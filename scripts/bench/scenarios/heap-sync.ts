/**
 * Heap segment sync: 100,000 visitor changes in signed pages of 10,000 (80,000 adds then 20,000
 * removes of those visitors), from webhook to applied membership. No identity resolution is needed,
 * so the ideal is one BatchWriteItem per 25 changes.
 */
import { randomBytes } from 'node:crypto';
import { signHeapBody } from '../../../functions/domain/heap-signature';
import type { Scenario } from '../run';
import { memberCount, summarise, waitForPipeline } from './common';

const PAGE = 10_000;

export interface HeapScenarioState {
  workspaceId?: string;
  workspaceToken?: string;
  visitorIds?: string[];
}

/** Visitors and token left behind for the request-path scenario's AB Tasty reads. */
export const heapState: HeapScenarioState = {};

export const heapSyncScenario: Scenario = {
  name: 'heapSync',
  async run(context) {
    const total = Math.max(100, Math.round(100_000 * context.scale));
    const pageSize = Math.min(PAGE, total / 10);
    const workspace = await context.createWorkspace();
    const adds = Math.round(total * 0.8);
    const visitors = Array.from({ length: adds }, (_, index) => `${index.toString(16).padStart(8, '0')}-${randomBytes(6).toString('hex')}`);
    const removes = visitors.slice(0, total - adds);
    const task = `bench-${randomBytes(4).toString('hex')}`;
    const pages: { op: 'add' | 'remove'; ids: string[] }[] = [];
    for (let start = 0; start < visitors.length; start += pageSize) pages.push({ op: 'add', ids: visitors.slice(start, start + pageSize) });
    for (let start = 0; start < removes.length; start += pageSize) pages.push({ op: 'remove', ids: removes.slice(start, start + pageSize) });
    const bodies = pages.map((page, index) =>
      JSON.stringify({
        action_type: 'segment.users.sync',
        id_token: 'bench-id-token',
        customer_config: { fields: [] },
        data: {
          segment: { id: 1, name: 'Bench segment' },
          sync_info: { page_number: index + 1, total_pages: pages.length, sync_task_id: task },
          add: page.op === 'add' ? page.ids.map((id) => ({ id })) : [],
          remove: page.op === 'remove' ? page.ids.map((id) => ({ id })) : [],
        },
      }),
    );

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
    const expected = adds - removes.length;
    await waitForPipeline(context, 'heapSync', async () => (await memberCount(context, { workspaceId: workspace.workspaceId, kind: 'segment', setId: '1' })) === expected);
    const seconds = (performance.now() - started) / 1000;
    heapState.workspaceId = workspace.workspaceId;
    heapState.workspaceToken = workspace.abTastyToken;
    heapState.visitorIds = visitors.slice(removes.length);

    return summarise(context, {
      changes: total,
      seconds,
      unit: 'changes/s',
      idealRequestsPerChange: 1 / 25,
      floorTable: context.hub.tables.cohorts,
      floorItem: (index) => ({ pk: `floor#S#bench`, sk: `M#v${index}`, status: 'member', version: '000000000000001#x', memberId: `v${index}` }),
      extra: { pages: bodies.length, pageSize, members: expected },
    });
  },
};
