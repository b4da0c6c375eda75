/**
 * Membership of a set (a Braze cohort or a Heap segment) as version-guarded, idempotent set
 * operations. Every change carries a version: the time the hub received it (epoch ms, zero-padded)
 * plus a tie-breaker, so versions compare as strings. A member item remembers the version of the
 * last change applied to it; a change is applied only if its version is newer, so a redelivered,
 * duplicated or late older change can never undo a newer one. Removals leave a tombstone that
 * keeps its version for the same reason.
 */
import type { Identifier } from './identifiers';

export type SetKind = 'cohort' | 'segment';
export type MemberKind = 'profile' | 'visitor';
export type MembershipOp = 'add' | 'remove';

export interface MembershipChange {
  readonly memberId: string;
  readonly op: MembershipOp;
  /** This change's own version, overriding the one the whole apply call carries (Segment events each have one). */
  readonly version?: string;
  /**
   * The identifier that named this change (cohort imports, Segment audiences): stored in the member's
   * `source`, so its flip says which identifier decided it and the decision log need not repeat it.
   */
  readonly identifier?: Identifier | undefined;
}

/**
 * Whether change `a` wins over `b` for the same member within one message: the newer own version
 * when both carry one (Segment: the later event), otherwise the removal (Braze: remove wins).
 */
export const outranks = (a: { op: MembershipOp; version?: string | undefined }, b: { op: MembershipOp; version?: string | undefined }): boolean => {
  if (a.version !== undefined && b.version !== undefined && a.version !== b.version) return a.version > b.version;
  return a.op === 'remove' && b.op !== 'remove';
};

/**
 * Where a membership change came from, stored on the member item (`source`) by the membership
 * engine so the history and change events can say why a member flipped. Plain attributes only.
 */
export type ChangeSourceKind = 'cohort_import' | 'segment_audience' | 'heap_sync' | 'heap_drain' | 'orphan_merge' | 'user_deletion';

export interface ChangeSource {
  readonly kind: ChangeSourceKind;
  /** Cohort import / Segment audience: the hub's import id, and the partner that sent it. */
  readonly importId?: string;
  readonly partner?: string;
  /** Heap: the sync run and page. */
  readonly syncTaskId?: string;
  readonly page?: number;
  /** Segment: the audience (the cohort id it becomes). */
  readonly audience?: string;
  /** Orphan merge: the orphaned profile and its survivor. */
  readonly mergedFrom?: string;
  readonly mergedInto?: string;
  /** Cohort import / Segment audience: the identifier that named this member (per member, from its change). */
  readonly identifier?: Identifier;
}

export interface SetRef {
  readonly workspaceId: string;
  readonly kind: SetKind;
  readonly setId: string;
}

/** Version string: sortable by receive time, then by the tie-breaker (import id, page key…). */
export const changeVersion = (receivedAtMs: number, tieBreaker: string): string =>
  `${Math.max(0, Math.floor(receivedAtMs)).toString().padStart(15, '0')}#${tieBreaker}`;

/** The receive time a version starts with (`changeVersion`: 15 digits of epoch ms), as ISO; undefined for another shape. */
export const versionTime = (version: string): string | undefined => {
  const digits = /^(\d{15})#/.exec(version)?.[1];
  return digits === undefined ? undefined : new Date(Number(digits)).toISOString();
};

/** Collapses a request's changes to one per member; when both appear, the removal wins. */
export const collapseChanges = (changes: readonly MembershipChange[]): { changes: MembershipChange[]; conflicts: number } => {
  const byMember = new Map<string, MembershipOp>();
  let conflicts = 0;
  for (const change of changes) {
    const previous = byMember.get(change.memberId);
    if (previous !== undefined && previous !== change.op) conflicts += 1;
    if (previous === 'remove') continue;
    byMember.set(change.memberId, change.op);
  }
  return { changes: [...byMember].map(([memberId, op]) => ({ memberId, op })), conflicts };
};

/**
 * A set's floor: the version of the newest change that cleared the whole set (a Heap
 * `segment.users.drain`). Every change older than the floor is stale, whether or not its member has
 * an item yet: a drain wins over everything received before it, including adds for visitors it never
 * saw. The clear itself (its removals carry the floor's own version) is not older, so it applies.
 */
export type SetFloor = string | undefined;

/** What one stored member item says. */
export interface MemberState {
  readonly status: 'member' | 'removed';
  readonly version: string;
}

export type Decision = 'add' | 'remove' | 'refresh' | 'stale';

/**
 * Decides what a change does to the stored state:
 * - `stale`: the stored version is the same or newer, or the change is older than the set's floor —
 *   nothing to write (idempotent, ordering-safe);
 * - `add` / `remove`: the status flips — write and count;
 * - `refresh`: same status, newer version — write the version only, so an older change that is
 *   still in flight cannot flip it later; counts do not move.
 */
export const decide = (current: MemberState | undefined, op: MembershipOp, version: string, floor?: SetFloor): Decision => {
  if (floor !== undefined && version < floor) return 'stale';
  if (current && current.version >= version) return 'stale';
  const isMember = current?.status === 'member';
  if (op === 'add') return isMember ? 'refresh' : 'add';
  return isMember ? 'remove' : 'refresh';
};

/**
 * A decision as reported per member to the decision log: `replayed` is a stale change whose
 * version is exactly the stored one — this change (a redelivery of it) was already applied.
 */
export type MemberDecision = Decision | 'replayed';

export const memberDecision = (current: MemberState | undefined, version: string, decision: Decision): MemberDecision =>
  decision === 'stale' && current?.version === version ? 'replayed' : decision;

/**
 * Counts a decision into `result` and says what the member item becomes: `undefined` for a stale
 * change (nothing to write), otherwise the status to store with the new version.
 */
export const tally = (result: ApplyResult, decision: Decision, current: MemberState | undefined): MemberState['status'] | undefined => {
  switch (decision) {
    case 'stale':
      result.stale += 1;
      return undefined;
    case 'add':
      result.added += 1;
      return 'member';
    case 'remove':
      result.removed += 1;
      return 'removed';
    case 'refresh':
      result.unchanged += 1;
      return current?.status === 'member' ? 'member' : 'removed';
  }
};

export interface ApplyResult {
  added: number;
  removed: number;
  /** Newer version recorded, status unchanged (already a member / already absent). */
  unchanged: number;
  /** Ignored because a same-or-newer change was already applied. */
  stale: number;
}

/** An empty result, to add parts into. */
export const emptyApplyResult = (): ApplyResult => ({ added: 0, removed: 0, unchanged: 0, stale: 0 });

/** Adds `part` into `total` (the results of several chunks or messages of one change). */
export const addApplyResult = (total: ApplyResult, part: ApplyResult): void => {
  total.added += part.added;
  total.removed += part.removed;
  total.unchanged += part.unchanged;
  total.stale += part.stale;
};
