/**
 * The decisions the decision log does not store (domain/decision-log.ts `toldByFlip`): an import's
 * `added` or `removed` for the identifier its member item names travels in the flip's
 * `source.identifier`, and the trace reads it back from the member's flips.
 */
import type { MembershipFlip } from '../schemas/membership-history';
import { identifierKey, type Identifier } from './identifiers';
import { versionTime } from './membership';
import type { IdentifierDecision } from './ports';

/** The import decisions a set's flips tell: for one identifier, or (none given) every identifier that named the member. */
export const flipDecisions = (workspaceId: string, cohortId: string, flips: readonly MembershipFlip[], identifier?: Identifier): IdentifierDecision[] => {
  const wanted = identifier === undefined ? undefined : identifierKey(identifier);
  return flips.flatMap((flip): IdentifierDecision[] => {
    const source = flip.source;
    if (source?.identifier === undefined || source.importId === undefined || source.partner === undefined) return [];
    if (wanted !== undefined && identifierKey(source.identifier) !== wanted) return [];
    const entered = flip.direction === 'entered';
    return [
      {
        workspaceId,
        cohortId,
        identifier: source.identifier,
        importId: source.importId,
        partner: source.partner,
        op: entered ? 'add' : 'remove',
        decision: entered ? 'added' : 'removed',
        brazeId: flip.memberId,
        at: versionTime(flip.version) ?? flip.changedAt,
      },
    ];
  });
};

const decisionKey = (decision: IdentifierDecision) => `${decision.importId}#${identifierKey(decision.identifier)}`;

/**
 * Stored and flip-told decisions together, newest first, at most `limit`. A stored `applied` (a
 * redelivered import's record of a change its first delivery made) is left out where the flip is shown.
 */
export const mergeDecisions = (stored: readonly IdentifierDecision[], told: readonly IdentifierDecision[], limit: number): IdentifierDecision[] => {
  const shown = new Set(told.map(decisionKey));
  const kept = stored.filter((decision) => !(decision.decision === 'applied' && shown.has(decisionKey(decision))));
  return [...told, ...kept].sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
};
