/**
 * The segment worker's logic: applies one heapSync message to a Heap segment. Sync pages go through
 * the shared membership engine (version-guarded, exact counts); a drain removes every current member
 * at the drain's version, a bounded number of member pages per message, continuing in a follow-up
 * message for very large segments. Progress of each sync run is recorded per segment.
 */
import type { HeapSyncMessage } from '../schemas/heap';
import { collapseChanges, type ApplyResult, type MembershipStore, type SetRef } from './membership';

/** Port: Heap-specific bookkeeping next to the membership items (cohorts table). */
export interface HeapSegmentStore {
  /** Records a sync page (segment name, list entry, run progress); newer versions win for name and last sync. */
  recordSyncPage(
    set: SetRef,
    page: {
      name?: string;
      version: string;
      receivedAt: string;
      syncTaskId: string;
      pageNumber: number;
      totalPages: number;
      /** Which queue message of the page this is (a page is seen once all its parts are applied). */
      part: number;
      parts: number;
      now: string;
    },
  ): Promise<void>;
  /** Records a drain (drain version: sync pages received before it are skipped). */
  recordDrain(set: SetRef, drain: { name?: string; version: string; receivedAt: string; now: string }): Promise<void>;
  /** Version of the newest drain applied to the segment, if any. */
  drainVersion(set: SetRef): Promise<string | undefined>;
  /** Current members read from the base table with a consistent read (one page). */
  currentMembers(set: SetRef, limit: number, startKey?: Record<string, unknown>): Promise<{ memberIds: string[]; nextKey?: Record<string, unknown> }>;
}

export interface HeapWorkerDeps {
  readonly membership: MembershipStore;
  readonly segments: HeapSegmentStore;
  /** Queues a follow-up message (drain continuation). */
  readonly requeue: (body: string) => Promise<void>;
  readonly now: () => string;
}

/** Member pages a drain handles per message: 10 × 1,000 removals (~101 transactions) keeps a message well inside the 60 s timeout. */
export const DRAIN_PAGES_PER_MESSAGE = 10;
export const DRAIN_PAGE_SIZE = 1000;

export type HeapWorkResult = ApplyResult & { skippedByDrain: number; continued: boolean };

const addInto = (total: ApplyResult, part: ApplyResult) => {
  total.added += part.added;
  total.removed += part.removed;
  total.unchanged += part.unchanged;
  total.stale += part.stale;
};

const emptyResult = (): HeapWorkResult => ({ added: 0, removed: 0, unchanged: 0, stale: 0, skippedByDrain: 0, continued: false });

/** Applies one heapSync message. Idempotent: replays are stale under the version guard. */
export const applyHeapMessage = async (
  deps: HeapWorkerDeps,
  message: HeapSyncMessage,
): Promise<HeapWorkResult> => {
  const set: SetRef = { workspaceId: message.workspaceId, kind: 'segment', setId: message.segmentId };
  const now = deps.now();
  const result = emptyResult();

  if (message.type === 'sync') {
    const { changes } = collapseChanges([
      ...message.add.map((memberId) => ({ memberId, op: 'add' as const })),
      ...message.remove.map((memberId) => ({ memberId, op: 'remove' as const })),
    ]);
    // A page received before a drain must not re-add members after the drain emptied the segment
    // (it can be processed later: retries, parallel workers).
    const drained = await deps.segments.drainVersion(set);
    if (drained !== undefined && drained >= message.version) {
      result.skippedByDrain = changes.length;
    } else if (changes.length > 0) {
      addInto(result, await deps.membership.apply(set, 'visitor', changes, message.version, now));
      // A drain recorded while this page was being applied may have read the members before our
      // adds landed. Checking again closes the race: either the drain's (later, consistent) read
      // sees our adds, or we see the drain here and remove our adds at the drain's version (a
      // no-op for any visitor a newer page has since re-added).
      const drainedNow = await deps.segments.drainVersion(set);
      const added = changes.filter((change) => change.op === 'add');
      if (drainedNow !== undefined && drainedNow >= message.version && added.length > 0) {
        const undone = await deps.membership.apply(set, 'visitor', added.map((change) => ({ memberId: change.memberId, op: 'remove' as const })), drainedNow, now);
        result.removed += undone.removed;
        result.skippedByDrain = added.length;
      }
    }
    await deps.segments.recordSyncPage(set, {
      ...(message.segmentName !== undefined ? { name: message.segmentName } : {}),
      version: message.version,
      receivedAt: message.receivedAt,
      syncTaskId: message.syncTaskId ?? '',
      pageNumber: message.pageNumber ?? 0,
      totalPages: message.totalPages ?? 0,
      part: message.part,
      parts: message.parts,
      now,
    });
    return result;
  }

  // Drain: record it first, so sync pages older than the drain stop applying at once.
  if (message.round === 0) {
    await deps.segments.recordDrain(set, {
      ...(message.segmentName !== undefined ? { name: message.segmentName } : {}),
      version: message.version,
      receivedAt: message.receivedAt,
      now,
    });
  }
  let startKey = message.startKey;
  for (let page = 0; page < DRAIN_PAGES_PER_MESSAGE; page += 1) {
    const { memberIds, nextKey } = await deps.segments.currentMembers(set, DRAIN_PAGE_SIZE, startKey);
    if (memberIds.length > 0) {
      const applied = await deps.membership.apply(
        set,
        'visitor',
        memberIds.map((memberId) => ({ memberId, op: 'remove' as const })),
        message.version,
        now,
      );
      addInto(result, applied);
    }
    if (!nextKey) return result;
    startKey = nextKey;
  }
  // More members remain: hand the rest to a follow-up message (its own dedupe key, same version).
  const round = message.round + 1;
  await deps.requeue(JSON.stringify({ ...message, dedupeKey: `${message.dedupeKey.replace(/#r\d+$/, '')}#r${round}`, round, startKey }));
  result.continued = true;
  return result;
};
