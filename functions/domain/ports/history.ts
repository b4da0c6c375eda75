/** Ports of the membership history (docs/membership-history.md): applied flips, per member. */
import type { MembershipFlip } from '../../schemas/membership-history';
import type { MemberKind, SetRef } from '../membership';

/** The history table (`dynamoHistoryStore` in adapters/history-store.ts). */
export interface HistoryStore {
  /** Stores flips; idempotent: a flip's key is its set, member, version and direction. */
  record(flips: readonly MembershipFlip[]): Promise<void>;
  /** One member's flips in one set, oldest first (at most `limit` per page). */
  memberHistory(set: SetRef, memberId: string, limit: number, startKey?: Record<string, unknown>): Promise<{ flips: MembershipFlip[]; nextKey?: Record<string, unknown> }>;
  /** Deletes every history item of a member (a user's deletion); returns how many. */
  forgetMember(workspaceId: string, memberKind: MemberKind, memberId: string): Promise<number>;
}
