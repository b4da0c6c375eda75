/**
 * Membership history (docs/membership-history.md): every applied flip of a member — entered or
 * exited — derived from the cohorts table's stream, recorded once, and read back per member.
 *
 * `flipOf` is pure over (old image, new image) and reads plain attributes only (workspaceId,
 * setKind, setId, memberKind, memberId, status, version, source), never key structure, so it holds
 * whatever key layout the membership items get. Only writes the membership engine really applied
 * reach the stream; a stale or duplicate change writes nothing, so it records nothing, and a
 * `refresh` (same status, newer version) is no flip.
 */
import { memberImageSchema, type MemberImage, type MembershipFlip } from '../schemas/membership-history';
import type { HistoryStore } from './ports';

export type { MembershipFlip };

/** Reads an image as a member item, or undefined (META, counters, reports, run state, or nothing). */
export const memberImage = (image: Record<string, unknown> | undefined): MemberImage | undefined => {
  if (!image) return undefined;
  const parsed = memberImageSchema.safeParse(image);
  return parsed.success ? parsed.data : undefined;
};

/**
 * The flip one item change applied, if any: `entered` when the new image is a member and the old
 * one was not (absent or a tombstone), `exited` when a member became a tombstone. A deleted item
 * (no new image) is no flip: the engine never deletes member items, it leaves tombstones.
 */
export const flipOf = (oldImage: Record<string, unknown> | undefined, newImage: Record<string, unknown> | undefined): MembershipFlip | undefined => {
  const after = memberImage(newImage);
  if (!after) return undefined;
  const before = memberImage(oldImage);
  // A member moved from its set's old partition has no old image here: its old status came along.
  const wasMember = (before?.status ?? after.movedFrom) === 'member';
  const isMember = after.status === 'member';
  if (wasMember === isMember) return undefined;
  return {
    workspaceId: after.workspaceId,
    setKind: after.setKind,
    setId: after.setId,
    memberKind: after.memberKind,
    memberId: after.memberId,
    direction: isMember ? 'entered' : 'exited',
    version: after.version,
    changedAt: after.changedAt ?? '',
    ...(after.source ? { source: after.source } : {}),
  };
};

/** The idempotency key of a flip: set, member, version and direction (a redelivered stream record overwrites itself). */
export const flipKey = (flip: MembershipFlip): string =>
  JSON.stringify([flip.workspaceId, flip.setKind, flip.setId, flip.memberId, flip.version, flip.direction]);

/** One flip per key, in order of first appearance. */
export const uniqueFlips = (flips: readonly MembershipFlip[]): MembershipFlip[] => [...new Map(flips.map((flip) => [flipKey(flip), flip])).values()];

export interface HistoryDeps {
  readonly history: HistoryStore;
}

/** Records the flips of a batch of item changes; returns how many were flips. */
export const recordChanges = async (
  deps: HistoryDeps,
  changes: readonly { oldImage?: Record<string, unknown> | undefined; newImage?: Record<string, unknown> | undefined }[],
): Promise<MembershipFlip[]> => {
  const all = uniqueFlips(changes.flatMap((change) => flipOf(change.oldImage, change.newImage) ?? []));
  // A user's deletion keeps no history of them: its exits are not recorded, and what an earlier
  // batch recorded after the deletion forgot it (stream order is per item) is forgotten again.
  const deletions = all.filter((flip) => flip.source?.kind === 'user_deletion');
  const flips = all.filter((flip) => flip.source?.kind !== 'user_deletion');
  if (flips.length > 0) await deps.history.record(flips);
  for (const flip of deletions) await deps.history.forgetMember(flip.workspaceId, flip.memberKind, flip.memberId);
  return flips;
};

/** Flips sorted by version (the order they were applied in, whatever order the stream delivered them). */
export const byVersion = (flips: readonly MembershipFlip[]): MembershipFlip[] =>
  [...flips].sort((a, b) => (a.version === b.version ? a.direction.localeCompare(b.direction) : a.version < b.version ? -1 : 1));
