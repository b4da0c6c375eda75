import { applyHeapMessage, DRAIN_PAGE_SIZE, DRAIN_PAGES_PER_MESSAGE, type HeapWorkerDeps } from '../../functions/domain/heap-segments';
import { changeVersion, type MembershipChange } from '../../functions/domain/membership';
import type { DeliveryRequest } from '../../functions/domain/ports';
import type { HeapSyncMessage } from '../../functions/schemas/heap';
import { heapSyncMessage } from '../support/heap-sync-message';
import type { HeapSegmentStore, MembershipStore } from '../../functions/domain/ports';

const syncMessage = heapSyncMessage;

const setup = (options: { members?: string[] } = {}) => {
  const applied: { changes: readonly MembershipChange[]; version: string }[] = [];
  const requeued: HeapSyncMessage[] = [];
  const pushRequests: { requests: readonly DeliveryRequest[]; coalesce: boolean }[] = [];
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
    deliveries: { request: (requests, { coalesce }) => Promise.resolve(void pushRequests.push({ requests, coalesce })) },
    clock: { now: () => Date.parse('2026-01-01T00:00:05.000Z') },
  };
  return { deps, applied, requeued, pages, drains, pushRequests };
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

  describe('asking for an AB Tasty push', () => {
    const unchanged = (deps: HeapWorkerDeps, counts: { unchanged?: number; stale?: number }) => {
      deps.membership.apply = () => Promise.resolve({ added: 0, removed: 0, unchanged: counts.unchanged ?? 0, stale: counts.stale ?? 0 });
    };

    it('asks once per applied page that changed membership, coalesced with the rest of the run, keyed by the page message', async () => {
      const { deps, pushRequests } = setup();

      await applyHeapMessage(deps, syncMessage({ add: ['a'], dedupeKey: 'heap#ws#run#1#0' }));

      expect(pushRequests).toEqual([
        { coalesce: true, requests: [{ workspaceId: 'ws', requestedAt: Date.parse('2026-01-01T00:00:05.000Z'), reason: 'change', dedupeKey: 'abtasty#heap#ws#run#1#0' }] },
      ]);
    });

    it('does not ask when a page changed nothing (only newer versions recorded, or no changes at all)', async () => {
      const { deps, pushRequests } = setup();
      unchanged(deps, { unchanged: 2 });

      await applyHeapMessage(deps, syncMessage({ add: ['a', 'b'] }));
      await applyHeapMessage(deps, syncMessage({ add: [], remove: [] }));

      expect(pushRequests).toEqual([]);
    });

    it('asks again when a retried page finds its changes already applied (the first request may never have been queued)', async () => {
      const { deps, pushRequests } = setup();
      unchanged(deps, { stale: 1 });

      await applyHeapMessage(deps, syncMessage({ add: ['a'] }));

      expect(pushRequests).toHaveLength(1);
    });

    it('asks after every drain round, and after the members are removed', async () => {
      const { deps, pushRequests, applied } = setup({ members: ['a'] });
      deps.deliveries.request = (requests, { coalesce }) => {
        expect(applied).toHaveLength(1);
        return Promise.resolve(void pushRequests.push({ requests, coalesce }));
      };

      await applyHeapMessage(deps, syncMessage({ type: 'drain', dedupeKey: 'heap#ws#drain#42#5000' }));

      expect(pushRequests.map((call) => call.requests[0]?.dedupeKey)).toEqual(['abtasty#heap#ws#drain#42#5000']);
    });

    it('fails the message when the request cannot be queued, after the changes were applied (the retry re-applies nothing and asks again)', async () => {
      const { deps, applied } = setup();
      deps.deliveries.request = () => Promise.reject(new Error('queue down'));

      await expect(applyHeapMessage(deps, syncMessage({ add: ['a'] }))).rejects.toThrow('queue down');
      expect(applied).toHaveLength(1);
    });
  });
});
