/**
 * The per-identifier decision log (issue 17, docs/membership-history.md "Decision log"): for every
 * identifier a cohort import (or a Segment audience change, which arrives as one) names, what the
 * hub decided — `added`, `removed`, `unchanged`, `stale`, or `unmatched` with the reason — so the
 * trace can answer "which recent imports named it, and what happened".
 *
 * A decision that flipped the member (`added`, `removed`) for the identifier its change was written
 * with is not stored: the member item's `source.identifier` carries it into the flip, which the
 * history keeps longer, and the trace reads it from there (domain/membership-trace.ts). Only what no
 * flip records — unmatched, unchanged, stale, outranked, and a second identifier of one profile — is
 * written. That is the exception in a delta (a partner sends changes), so the log costs far less
 * than one write per identifier (docs/scaling.md). It is bounded: on by default, kept
 * `DEFAULT_DECISION_LOG_DAYS` days, per workspace switchable off or to another retention
 * (`workspace set --decision-log off|on --decision-log-days N`). The setting travels in the queued
 * message (`decisionLogDays`, read at ingest), so the worker needs no workspace read.
 *
 * Idempotent under redelivery: one item per (cohort, identifier, import), so a redelivered part
 * overwrites its own items. A change the first delivery already applied is decided `stale` at the
 * same version by the redelivery (`replayed`); its record is written only where none is stored yet
 * (`ifAbsent`, decision `applied`), so it never hides the first delivery's `added` or `unchanged`.
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { identifierKey, type Identifier } from './identifiers';
import type { MemberDecision, MembershipOp } from './membership';
import type { DecisionKind, DecisionLog, IdentifierDecision } from './ports';
import type { UnmatchedReason } from './unmatched-reasons';

export const DEFAULT_DECISION_LOG_DAYS = 14;
/** The longest retention a workspace may choose (the membership history's default). */
export const MAX_DECISION_LOG_DAYS = 400;

/** Days to keep a workspace's decisions; 0 when its log is switched off. */
export const decisionLogDays = (workspace: Pick<WorkspaceRecord, 'decisionLog'>): number => {
  const setting = workspace.decisionLog;
  if (setting === undefined) return DEFAULT_DECISION_LOG_DAYS;
  return setting.enabled ? setting.days : 0;
};

/** How one identifier of a delta matched: the profile it resolved to, or why none. */
export interface IdentifierMatch {
  readonly identifier: Identifier;
  readonly op: MembershipOp;
  /** The surviving profile it matched; for `device_of_identified_profile`, the identified owner. */
  readonly brazeId?: string;
  readonly unmatched?: UnmatchedReason;
}

type Logged = IdentifierDecision & { readonly ifAbsent?: boolean };

/** A profile's winning change in a delta: its op, and the identifier its member item names. */
export interface Winner {
  readonly op: MembershipOp;
  readonly identifier: Identifier;
}

/** Whether the member's flip already tells this identifier's decision (so no record is written). */
const toldByFlip = (match: IdentifierMatch, decision: MemberDecision, winner: Winner): boolean =>
  (decision === 'add' || decision === 'remove') && winner.op === match.op && identifierKey(winner.identifier) === identifierKey(match.identifier);

const ENGINE: Record<MemberDecision, DecisionKind> = { add: 'added', remove: 'removed', refresh: 'unchanged', stale: 'stale', replayed: 'applied' };

/** Why the engine decided as it did, for the decisions that are not self-explanatory. */
const engineReason = (decision: MemberDecision, winner: MembershipOp): string | undefined => {
  if (decision === 'refresh') return winner === 'add' ? 'already_member' : 'already_absent';
  if (decision === 'stale') return 'newer_change_applied';
  if (decision === 'replayed') return 'applied_by_earlier_delivery';
  return undefined;
};

/** The message fields a decision carries. */
export interface DecisionContext {
  readonly workspaceId: string;
  readonly cohortId: string;
  readonly importId: string;
  readonly partner: string;
  readonly receivedAt: number;
}

/**
 * One decision per identifier: unmatched with its reason, or the engine's decision for the profile
 * it matched. When identifiers of one profile disagree, the profile's winning op decides (remove
 * wins, or the newer Segment event) and the outranked identifier says `outranked`. A flip told by
 * the member's own source (`toldByFlip`) is left out.
 */
export const identifierDecisions = (
  context: DecisionContext,
  matches: readonly IdentifierMatch[],
  decided: ReadonlyMap<string, MemberDecision>,
  winners: ReadonlyMap<string, Winner>,
): Logged[] => {
  const base = { workspaceId: context.workspaceId, cohortId: context.cohortId, importId: context.importId, partner: context.partner, at: new Date(context.receivedAt).toISOString() };
  return matches.flatMap((match): Logged[] => {
    const common = { ...base, identifier: match.identifier, op: match.op, ...(match.brazeId !== undefined ? { brazeId: match.brazeId } : {}) };
    if (match.unmatched !== undefined || match.brazeId === undefined) return [{ ...common, decision: 'unmatched', reason: match.unmatched ?? 'unknown_identifier' }];
    const decision = decided.get(match.brazeId);
    const winner = winners.get(match.brazeId);
    if (decision === undefined || winner === undefined || toldByFlip(match, decision, winner)) return [];
    const reason = winner.op !== match.op ? 'outranked' : engineReason(decision, winner.op);
    return [{ ...common, decision: ENGINE[decision], ...(reason !== undefined ? { reason } : {}), ...(decision === 'replayed' ? { ifAbsent: true } : {}) }];
  });
};

/** Writes a delta's decisions unless the workspace switched its log off (`days` 0); returns how many. */
export const logDecisions = async (
  log: DecisionLog | undefined,
  days: number | undefined,
  context: DecisionContext,
  matches: readonly IdentifierMatch[],
  decided: ReadonlyMap<string, MemberDecision>,
  winners: ReadonlyMap<string, Winner>,
): Promise<number> => {
  const retention = days ?? DEFAULT_DECISION_LOG_DAYS;
  if (log === undefined || retention <= 0) return 0;
  const decisions = identifierDecisions(context, matches, decided, winners);
  if (decisions.length > 0) await log.record(decisions, retention);
  return decisions.length;
};
