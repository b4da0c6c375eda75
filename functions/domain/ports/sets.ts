/** Ports of sets (Braze cohorts and Heap segments) and their members (cohorts table). */
import type { ApplyResult, ChangeSource, MemberDecision, MemberKind, MembershipChange, SetKind, SetRef } from '../membership';

/** The membership engine (implemented by the DynamoDB membership store). */
export interface MembershipStore {
  /**
   * Applies changes (already collapsed) at one version (a change's own `version` overrides it);
   * returns what happened, counts exact.
   * Decisions are taken against the members' items and the set's floor, read together, and written
   * only if neither changed meanwhile (a clear recorded concurrently makes the write re-decide).
   * `source` is stored on every member item written, for the membership history. When `decided`
   * is given, each member's final decision is set in it (the per-identifier decision log).
   */
  apply(
    set: SetRef,
    memberKind: MemberKind,
    changes: readonly MembershipChange[],
    version: string,
    now: string,
    source?: ChangeSource,
    decided?: Map<string, MemberDecision>,
  ): Promise<ApplyResult>;
}

/** Creates and renames sets (cohort import's worker). */
export interface SetWriter {
  upsertSet(
    set: SetRef,
    fields: { name?: string; createdAt: string; now: string; extra?: Record<string, unknown>; keepName?: boolean },
  ): Promise<void>;
  /** Sets the name if `version` is newer than the one that set the current name. */
  renameSet(set: SetRef, name: string, version: string, now: string): Promise<boolean>;
}

/** Set metadata as the reads return it (META item). */
export interface SetMetaView {
  readonly setId: string;
  readonly name?: string;
  readonly memberCount: number;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly [extra: string]: unknown;
}

/** Set and member reads of the read and AB Tasty pull APIs (`dynamoSetReads` in adapters/set-reads.ts). */
export interface SetReads {
  getSet(set: SetRef): Promise<SetMetaView | undefined>;
  listSets(workspaceId: string, kind: SetKind, limit: number, startKey?: Record<string, unknown>): Promise<{ sets: SetMetaView[]; nextKey?: Record<string, unknown> }>;
  listMembers(set: SetRef, limit: number, startKey?: Record<string, unknown>): Promise<{ members: { memberId: string }[]; nextKey?: Record<string, unknown> }>;
  setsOfMember(workspaceId: string, memberKind: MemberKind, memberId: string, kind: SetKind): Promise<{ setId: string }[]>;
}

/** The AB Tasty pull API's names for the same reads (a segment is a set). */
export type SegmentReads = SetReads;
export type SegmentMeta = SetMetaView;

/** Heap-specific bookkeeping next to the membership items (the segment worker). */
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
  /**
   * Records a drain: raises the segment's floor to the drain version (never lowers it), so every
   * change received before the drain is stale from then on (see `decide`).
   */
  recordDrain(set: SetRef, drain: { name?: string; version: string; receivedAt: string; now: string }): Promise<void>;
  /** Current members read from the base table with a consistent read (one page). */
  currentMembers(set: SetRef, limit: number, startKey?: Record<string, unknown>): Promise<{ memberIds: string[]; nextKey?: Record<string, unknown> }>;
}
