import { applyHeapMessage, DRAIN_PAGE_SIZE, DRAIN_PAGES_PER_MESSAGE, type HeapWorkerDeps } from '../../functions/domain/heap-segments';
import { changeVersion, type MembershipChange } from '../../functions/domain/membership';
import type { HeapSyncMessage } from '../../functions/schemas/heap';
import { heapSyncMessage } from '../support/heap-sync-message';
import type { HeapSegmentStore, MembershipStore } from '../../functions/domain/ports';

const syncMessage = heapSyncMessage;

const setup = (options: { members?: string[] } = {}) => {
  const applied: { changes: readonly MembershipChange[]; version: string }[] = [];
  const requeued: HeapSyncMessage[] = [];
  const pages: unknown[] = [];
  const drains: unknown[] = [];
  const members = options.members ?? [];
  const membership: MembershipStore = {
    apply: (_set, _kind, changes, version) => {
      applied.push({ changes, version });
      const removed = changes.filter((change) => change.op === 'remove').length;
      return Promise.resolve({ added: changes.length - removed, removed, unchanged: 0, stale: 0 });
    },
  };
  const segments: HeapSegmentStore = {
    recordSyncPage: (_set, page) => Promise.resolve(void pages.push(page)),
    recordDrain: (_set, drain) => Promise.resolve(void drains.push(drain)),
    currentMembers: (_set, limit, startKey) => {
      const start = (startKey?.index as number | undefined) ?? 0;
      const end = start + limit;
      return Promise.resolve({ memberIds: members.slice(start, end), ...(end < members.length ? { nextKey: { index: end } } : {}) });
    },
  };
  const deps: HeapWorkerDeps = {
    membership,
    segments,
    requeue: (body) => Promise.resolve(void requeued.push(JSON.parse(body) as HeapSyncMessage)),
    clock: { now: () => Date.parse('2026-01-01T00:00:05.000Z') },
  };
  return { deps, applied, requeued, pages, drains };
};

describe('the Heap segment worker', () => {
  it('applies a page\'s adds and removes at the page version and records the run progress', async () => {
    const { deps, applied, pages } = setup();
    const message = syncMessage({ add: ['a', 'b'], remove: ['c'] });

    const result = await applyHeapMessage(deps, message);

    expect(result).toMatchObject({ added: 2, removed: 1 });
    expect(applied).toEqual([{ version: message.version, changes: [{ memberId: 'a', op: 'add' }, { memberId: 'b', op: 'add' }, { memberId: 'c', op: 'remove' }] }]);
    expect(pages).toEqual([expect.objectContaining({ syncTaskId: 'run', pageNumber: 1, totalPages: 1, name: 'Segment' })]);
  });

  it('hands a page received before a drain to the membership store, which decides it against the floor, and still records the page', async () => {
    const { deps, applied, pages } = setup();
    deps.membership.apply = (_set, _kind, changes, version) => {
      applied.push({ changes, version });
      return Promise.resolve({ added: 0, removed: 0, unchanged: 0, stale: changes.length });
    };

    const result = await applyHeapMessage(deps, syncMessage({ add: ['a'] }));

    expect(result).toMatchObject({ added: 0, stale: 1 });
    expect(applied).toEqual([{ version: syncMessage().version, changes: [{ memberId: 'a', op: 'add' }] }]);
    expect(pages).toHaveLength(1);
  });

  it('drains every current member at the drain version', async () => {
    const { deps, applied, drains } = setup({ members: ['a', 'b', 'c'] });
    const version = changeVersion(5000, 'drain');

    const result = await applyHeapMessage(deps, syncMessage({ type: 'drain', version, dedupeKey: 'heap#ws#drain#42#5000' }));

    expect(result).toMatchObject({ removed: 3, continued: false });
    expect(applied).toEqual([{ version, changes: ['a', 'b', 'c'].map((memberId) => ({ memberId, op: 'remove' })) }]);
    expect(drains).toHaveLength(1);
  });

  it('continues a very large drain in a follow-up message that resumes where it stopped', async () => {
    const total = DRAIN_PAGE_SIZE * DRAIN_PAGES_PER_MESSAGE + 5;
    const { deps, requeued, applied } = setup({ members: Array.from({ length: total }, (_, index) => `m${index}`) });

    const first = await applyHeapMessage(deps, syncMessage({ type: 'drain', dedupeKey: 'heap#ws#drain#42#5000' }));
    const [next] = requeued;
    const second = await applyHeapMessage(deps, next!);

    expect(first.continued).toBe(true);
    expect(next).toMatchObject({ round: 1, dedupeKey: 'heap#ws#drain#42#5000#r1', startKey: { index: DRAIN_PAGE_SIZE * DRAIN_PAGES_PER_MESSAGE } });
    expect(second).toMatchObject({ removed: 5, continued: false });
    expect(applied.flatMap((call) => call.changes).length).toBe(total);
  });
});
