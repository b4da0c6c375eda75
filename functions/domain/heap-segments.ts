/**
 * The segment worker's logic: applies one heapSync message to a Heap segment. Sync pages go through
 * the shared membership engine (version-guarded, exact counts); a drain raises the segment's floor
 * (nothing received before it applies any more), then removes every current member
 * at the drain's version, a bounded number of member pages per message, continuing in a follow-up
 * message for very large segments. Progress of each sync run is recorded per segment.
 */
import type { HeapSyncMessage } from '../schemas/heap';
import { addApplyResult, collapseChanges, emptyApplyResult, type ApplyResult, type SetRef } from './membership';
import { isoNow, type Clock, type DeliveryRequests, type HeapSegmentStore, type MembershipStore } from './ports';

export interface HeapWorkerDeps {
  readonly membership: MembershipStore;
  readonly segments: HeapSegmentStore;
  /** Queues a follow-up message (drain continuation). */
  readonly requeue: (body: string) => Promise<void>;
  /** Asks for an AB Tasty push after membership changed (docs/abtasty-delivery.md, "Wiring"). */
  readonly deliveries: DeliveryRequests;
  readonly clock: Clock;
}

/** Member pages a drain handles per message: 10 × 1,000 removals (~101 transactions) keeps a message well inside the 60 s timeout. */
export const DRAIN_PAGES_PER_MESSAGE = 10;
export const DRAIN_PAGE_SIZE = 1000;

export type HeapWorkResult = ApplyResult & { continued: boolean };

const emptyResult = (): HeapWorkResult => ({ ...emptyApplyResult(), continued: false });

const nameOf = (message: HeapSyncMessage) => (message.segmentName !== undefined ? { name: message.segmentName } : {});

/**
 * A sync page: its changes (a visitor both added and removed is removed) through the membership
 * engine, then the run's progress. A page received before a drain changes nothing once the drain
 * is recorded: the store decides against the segment's floor (the drain version) atomically with
 * the members' items.
 */
const applySyncPage = async (deps: HeapWorkerDeps, set: SetRef, message: HeapSyncMessage, now: string): Promise<HeapWorkResult> => {
  const result = emptyResult();
  const { changes } = collapseChanges([
    ...message.add.map((memberId) => ({ memberId, op: 'add' as const })),
    ...message.remove.map((memberId) => ({ memberId, op: 'remove' as const })),
  ]);
  const source = { kind: 'heap_sync' as const, syncTaskId: message.syncTaskId ?? '', page: message.pageNumber ?? 0 };
  if (changes.length > 0) addApplyResult(result, await deps.membership.apply(set, 'visitor', changes, message.version, now, source));
  await deps.segments.recordSyncPage(set, {
    ...nameOf(message),
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
};

/** Removes up to DRAIN_PAGES_PER_MESSAGE pages of current members at the drain's version; the key to resume from if more remain. */
const removeMemberPages = async (deps: HeapWorkerDeps, set: SetRef, message: HeapSyncMessage, result: HeapWorkResult, now: string) => {
  let startKey = message.startKey;
  for (let page = 0; page < DRAIN_PAGES_PER_MESSAGE; page += 1) {
    const { memberIds, nextKey } = await deps.segments.currentMembers(set, DRAIN_PAGE_SIZE, startKey);
    if (memberIds.length > 0) {
      const removals = memberIds.map((memberId) => ({ memberId, op: 'remove' as const }));
      addApplyResult(result, await deps.membership.apply(set, 'visitor', removals, message.version, now, { kind: 'heap_drain' }));
    }
    if (!nextKey) return undefined;
    startKey = nextKey;
  }
  return startKey;
};

/**
 * A drain: recorded first (its first round), so sync pages older than the drain stop applying at
 * once; then the current members are removed, and the rest handed to a follow-up message (its own
 * dedupe key, same version).
 */
const applyDrain = async (deps: HeapWorkerDeps, set: SetRef, message: HeapSyncMessage, now: string): Promise<HeapWorkResult> => {
  const result = emptyResult();
  if (message.round === 0) {
    await deps.segments.recordDrain(set, { ...nameOf(message), version: message.version, receivedAt: message.receivedAt, now });
  }
  const startKey = await removeMemberPages(deps, set, message, result, now);
  if (startKey === undefined) return result;
  const round = message.round + 1;
  await deps.requeue(JSON.stringify({ ...message, dedupeKey: `${message.dedupeKey.replace(/#r\d+$/, '')}#r${round}`, round, startKey }));
  result.continued = true;
  return result;
};

/**
 * Whether applying a message asks for an AB Tasty push: a drain, or a page that added or removed
 * members. Stale changes count too: a message is only re-run after it failed, perhaps after its
 * changes were applied but before its push request was queued, and the request must not be lost.
 * A page that changed nothing needs no push (the daily refresh keeps AB Tasty's copy alive).
 */
export const asksForPush = (message: HeapSyncMessage, result: ApplyResult): boolean =>
  message.type === 'drain' || result.added + result.removed + result.stale > 0;

/**
 * Applies one heapSync message, then (if it changed membership) asks for an AB Tasty push, coalesced
 * with the rest of the run. Idempotent: replays are stale under the version guard; a failed request
 * fails the message, whose retry writes nothing new and asks again.
 */
export const applyHeapMessage = async (deps: HeapWorkerDeps, message: HeapSyncMessage): Promise<HeapWorkResult> => {
  const set: SetRef = { workspaceId: message.workspaceId, kind: 'segment', setId: message.segmentId };
  const now = isoNow(deps.clock);
  const result = message.type === 'sync' ? await applySyncPage(deps, set, message, now) : await applyDrain(deps, set, message, now);
  if (asksForPush(message, result)) {
    const request = { workspaceId: message.workspaceId, requestedAt: deps.clock.now(), reason: 'change', dedupeKey: `abtasty#${message.dedupeKey}` } as const;
    await deps.deliveries.request([request], { coalesce: true });
  }
  return result;
};
