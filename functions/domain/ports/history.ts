/** Ports of the membership history (docs/membership-history.md): applied flips, per member. */
import type { MembershipFlip } from '../../schemas/membership-history';
import type { Identifier } from '../identifiers';
import type { MemberKind, MembershipOp, SetRef } from '../membership';

/** What an import did with one identifier it named (docs/membership-history.md, "Decision log"). */
export type DecisionKind = 'added' | 'removed' | 'unchanged' | 'stale' | 'unmatched' | 'applied';

/** The history table (`dynamoHistoryStore` in adapters/history-store.ts). */
export interface HistoryStore {
  /** Stores flips; idempotent: a flip's key is its set, member, version and direction. */
  record(flips: readonly MembershipFlip[]): Promise<void>;
  /** One member's flips in one set, oldest first (at most `limit` per page). */
  memberHistory(set: SetRef, memberId: string, limit: number, startKey?: Record<string, unknown>): Promise<{ flips: MembershipFlip[]; nextKey?: Record<string, unknown> }>;
  /** Deletes every history item of a member (a user's deletion); returns how many. */
  forgetMember(workspaceId: string, memberKind: MemberKind, memberId: string): Promise<number>;
}

/** One identifier's decision in one import (domain/decision-log.ts). */
export interface IdentifierDecision {
  readonly workspaceId: string;
  readonly cohortId: string;
  readonly identifier: Identifier;
  readonly importId: string;
  readonly partner: string;
  readonly op: MembershipOp;
  readonly decision: DecisionKind;
  /** Why: an unmatched reason, or what the membership engine found (`already_member`, …). */
  readonly reason?: string;
  /** The profile it matched (the survivor of a merge), or a device id's identified owner. */
  readonly brazeId?: string;
  /** When the hub received the import (ISO): the decision's time and the base of its expiry. */
  readonly at: string;
}

/**
 * The per-identifier decision log (`dynamoDecisionLog` in adapters/decision-log.ts), in the history
 * table: one item per (import, cohort, identifier), expiring `retentionDays` after the import.
 */
export interface DecisionLog {
  /** Stores decisions (BatchWriteItem, idempotent keys); those marked `ifAbsent` only where none is stored yet. */
  record(decisions: readonly (IdentifierDecision & { readonly ifAbsent?: boolean })[], retentionDays: number): Promise<void>;
  /** One identifier's decisions in one cohort, newest first (at most `limit`). */
  recent(workspaceId: string, cohortId: string, identifier: Identifier, limit: number): Promise<IdentifierDecision[]>;
  /** A profile's decisions in one cohort (those that matched it), newest first: a trace by braze id. */
  recentOfMember(workspaceId: string, cohortId: string, brazeId: string, limit: number): Promise<IdentifierDecision[]>;
  /**
   * Deletes the decisions that named these identifier keys (`identifierKey`) without matching a
   * profile (a user's deletion; those that matched it go with its history, `forgetMember`); returns how many.
   */
  forgetIdentifiers(workspaceId: string, identifierKeys: readonly string[]): Promise<number>;
}
