/* eslint-disable @typescript-eslint/require-await -- in-memory fake of an async port */
/**
 * The membership engine in memory (MembershipStore, and MembershipPort for the directory rules):
 * deciding and counting exactly like the DynamoDB store, with the domain's own `decide` and `tally`.
 */
import { decide, memberDecision, tally, type ApplyResult, type ChangeSource, type MemberDecision, type MemberKind, type MemberState, type MembershipChange, type SetRef } from '../../../functions/domain/membership';
import type { MembershipPort, MembershipStore } from '../../../functions/domain/ports';
import { flipOf } from '../../../functions/domain/membership-history';
import type { MembershipFlip } from '../../../functions/schemas/membership-history';

export class FakeMembership implements MembershipStore, MembershipPort {
  /** Member states per set key (`<ws>#<kind>#<setId>`). */
  readonly members = new Map<string, Map<string, MemberState>>();
  /** Every applied flip, as the history stream records it from the member items (source with the naming identifier). */
  readonly flips: MembershipFlip[] = [];

  private setKey = (set: SetRef) => `${set.workspaceId}#${set.kind}#${set.setId}`;

  private membersOf(set: SetRef): Map<string, MemberState> {
    const members = this.members.get(this.setKey(set)) ?? new Map<string, MemberState>();
    this.members.set(this.setKey(set), members);
    return members;
  }

  /** Seeds a member. */
  add(set: SetRef, memberId: string, version = '0') {
    this.membersOf(set).set(memberId, { status: 'member', version });
  }

  isMember(set: SetRef, memberId: string): boolean {
    return this.members.get(this.setKey(set))?.get(memberId)?.status === 'member';
  }

  /** Current members of a set, sorted. */
  currentMembers(set: SetRef): string[] {
    return [...(this.members.get(this.setKey(set)) ?? [])]
      .filter(([, state]) => state.status === 'member')
      .map(([memberId]) => memberId)
      .sort();
  }

  async apply(
    set: SetRef,
    _kind: MemberKind,
    changes: readonly MembershipChange[],
    version: string,
    now = '1970-01-01T00:00:00.000Z',
    source?: ChangeSource,
    decided?: Map<string, MemberDecision>,
  ): Promise<ApplyResult> {
    const members = this.membersOf(set);
    const result: ApplyResult = { added: 0, removed: 0, unchanged: 0, stale: 0 };
    for (const change of changes) {
      const current = members.get(change.memberId);
      const own = change.version ?? version;
      const decision = decide(current, change.op, own);
      decided?.set(change.memberId, memberDecision(current, own, decision));
      const status = tally(result, decision, current);
      if (status === undefined) continue;
      const flip = flipOf(current && this.image(set, change, current), this.image(set, change, { status, version: own }, now, source));
      if (flip) this.flips.push(flip);
      members.set(change.memberId, { status, version: own });
    }
    return result;
  }

  /** A member item's image as the DynamoDB store writes it (its source naming the change's identifier), for the history's own `flipOf`. */
  private image(set: SetRef, change: MembershipChange, state: MemberState, changedAt?: string, source?: ChangeSource): Record<string, unknown> {
    const named = source && change.identifier ? { ...source, identifier: change.identifier } : source;
    return { workspaceId: set.workspaceId, setKind: set.kind, setId: set.setId, memberKind: 'profile', memberId: change.memberId, ...state, ...(changedAt ? { changedAt } : {}), ...(named ? { source: named } : {}) };
  }

  async setsOfMember(ws: string, _kind: MemberKind, memberId: string) {
    const sets: { setId: string }[] = [];
    for (const [key, members] of this.members) {
      const [setWs, kind, setId] = key.split('#') as [string, string, string];
      if (setWs === ws && kind === 'cohort' && members.get(memberId)?.status === 'member') sets.push({ setId });
    }
    return sets;
  }
}
