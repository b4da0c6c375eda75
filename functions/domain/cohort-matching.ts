/**
 * The matching worker of cohort import: resolves a queued delta's identifiers to existing profiles
 * (never creating one), applies the adds and removes through the membership engine, logs what it
 * decided about each identifier (domain/decision-log.ts), and records the import report.
 *
 * Matching rules (Braze's): `user_ids` match the external_id, `aliases` match label+name, and
 * `device_ids` match only profiles that are still anonymous — a device id whose profile has an
 * external_id matches nothing. A profile merged into another resolves to the survivor.
 *
 * Ordering: adds are written at version `<receivedAt>#<importId>#a` and removes at
 * `<receivedAt>#<importId>#r`. Across requests the receive time decides; within one request a
 * remove always outranks an add of the same profile, even when they arrive in different message
 * parts or through different identifiers of one profile. A change that carries its own version
 * (Segment Engage events: event time, then messageId) is written at that version instead, and
 * between two such changes of one profile the newer one wins.
 */
import type { Profile } from '../schemas/directory';
import { SAMPLE_LIMIT, type CohortUpsertMessage, type MembershipMessage } from '../schemas/cohort-import';
import { describeIdentifier, identifierKey, type Identifier } from './identifiers';
import { logDecisions, type IdentifierMatch, type Winner } from './decision-log';
import { addApplyResult, changeVersion, emptyApplyResult, outranks, type ChangeSource, type MemberDecision, type MembershipOp, type SetRef } from './membership';
import { followMergeChains } from './merge-chains';
import { isoNow, type ClaimResolver, type Clock, type ImportCounts, type ImportReports, type MembershipStore, type PartnerKeyLog, type PartOutcome, type DecisionLog, type ProfileReader, type SetWriter } from './ports';
import { SEGMENT_PARTNER } from './segment-audiences';
import { isMalformed, mergedWithoutSurvivor, unmatchedTally } from './unmatched-reasons';
import type { UnmatchedByReason, UnmatchedReason, UnmatchedSamplesByReason } from './unmatched-reasons';

export interface WorkerDeps {
  readonly claims: ClaimResolver;
  readonly profiles: ProfileReader;
  readonly membership: MembershipStore;
  readonly sets: SetWriter;
  readonly reports: ImportReports;
  readonly partnerKeys: PartnerKeyLog;
  readonly clock: Clock;
  /** The per-identifier decision log (domain/decision-log.ts); absent: nothing logged. */
  readonly decisions?: DecisionLog;
}

/** Reads profiles and follows `mergedInto` to the survivor (`followMergeChains`); absent when a profile is missing. */
export const resolveSurvivors = (reader: ProfileReader, workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>> =>
  followMergeChains((batch) => reader.getProfiles(workspaceId, batch), brazeIds);

/** BatchGetItem's key limit: one resolveClaims call per chunk. */
const CLAIM_CHUNK = 100;

/**
 * Claim lookups for up to 1,000 keys as ≤100-key chunks fetched concurrently (each chunk is one
 * BatchGetItem), rather than one after another: a full request needs 10 independent reads.
 */
export const resolveClaimsConcurrently = async (resolver: ClaimResolver, workspaceId: string, keys: readonly string[]) => {
  const unique = [...new Set(keys)];
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += CLAIM_CHUNK) chunks.push(unique.slice(start, start + CLAIM_CHUNK));
  const found = await Promise.all(chunks.map((chunk) => resolver.resolveClaims(workspaceId, chunk)));
  return new Map(found.flatMap((map) => [...map]));
};

export interface MatchOutcome {
  /** Profile-level changes, one per profile; remove wins when identifiers of one profile disagree. */
  readonly adds: string[];
  readonly removes: string[];
  readonly matched: number;
  readonly unmatched: number;
  readonly unmatchedSamples: string[];
  /**
   * Profile → its winning change: the op, the identifier that named it (stored in the member's
   * source) and its own version when it carries one (Segment events).
   */
  readonly winners: ReadonlyMap<string, Winner & { readonly version?: string | undefined }>;
  readonly unmatchedByReason: UnmatchedByReason;
  readonly unmatchedSamplesByReason: UnmatchedSamplesByReason;
  /** Every identifier with the profile it matched or why none (the decision log). */
  readonly identifiers: IdentifierMatch[];
}

/** What matching found per identifier: the unmatched ones with their reasons, and every identifier's match. */
const matchLedger = () => {
  const unmatchedIds: Identifier[] = [];
  const reasons = unmatchedTally();
  const identifiers: IdentifierMatch[] = [];
  const unmatched = (change: { identifier: Identifier; op: MembershipOp }, reason: UnmatchedReason, owner?: string) => {
    unmatchedIds.push(change.identifier);
    reasons.add(change.identifier, reason);
    identifiers.push({ identifier: change.identifier, op: change.op, unmatched: reason, ...(owner !== undefined ? { brazeId: owner } : {}) });
  };
  return { unmatchedIds, reasons, identifiers, unmatched };
};

/** Resolves identifiers to surviving profiles by Braze's matching rules. Creates nothing. */
export const matchIdentifiers = async (
  deps: Pick<WorkerDeps, 'claims' | 'profiles'>,
  workspaceId: string,
  changes: readonly { identifier: Identifier; op: MembershipOp; version?: string | undefined }[],
): Promise<MatchOutcome> => {
  const claims = await resolveClaimsConcurrently(
    deps.claims,
    workspaceId,
    changes.map((change) => identifierKey(change.identifier)),
  );
  const candidates: { identifier: Identifier; op: MembershipOp; version?: string | undefined; profileId: string }[] = [];
  const { unmatchedIds, reasons, identifiers, unmatched } = matchLedger();
  for (const change of changes) {
    const claim = claims.get(identifierKey(change.identifier));
    if (claim && !(change.identifier.kind === 'device_id' && claim.ownerIdentified)) {
      candidates.push({ ...change, profileId: claim.profileId });
      continue;
    }
    // A device id stops matching once its profile is identified.
    if (claim) unmatched(change, 'device_of_identified_profile', claim.profileId);
    else unmatched(change, isMalformed(change.identifier) ? 'malformed' : 'unknown_identifier');
  }
  const survivors = await resolveSurvivors(
    deps.profiles,
    workspaceId,
    candidates.map((candidate) => candidate.profileId),
  );
  const ops = new Map<string, Winner & { version?: string | undefined }>();
  let matched = 0;
  const merged = await mergedWithoutSurvivor(deps.profiles, workspaceId, candidates.map((candidate) => candidate.profileId).filter((id) => !survivors.has(id)));
  for (const candidate of candidates) {
    const profile = survivors.get(candidate.profileId);
    // Checked on the profile too: a device claim whose flag was not yet updated, or whose profile
    // was merged into an identified survivor, must still match nothing.
    if (!profile || (candidate.identifier.kind === 'device_id' && profile.externalId !== undefined)) {
      if (profile) unmatched(candidate, 'device_of_identified_profile', profile.brazeId);
      else unmatched(candidate, merged.has(candidate.profileId) ? 'merged_profile_followed' : 'unknown_identifier');
      continue;
    }
    matched += 1;
    identifiers.push({ identifier: candidate.identifier, op: candidate.op, brazeId: profile.brazeId });
    const previous = ops.get(profile.brazeId);
    if (!previous || outranks(candidate, previous)) ops.set(profile.brazeId, { op: candidate.op, version: candidate.version, identifier: candidate.identifier });
  }
  const entries = [...ops];
  return {
    adds: entries.filter(([, change]) => change.op === 'add').map(([id]) => id),
    removes: entries.filter(([, change]) => change.op === 'remove').map(([id]) => id),
    winners: ops,
    matched,
    unmatched: unmatchedIds.length,
    unmatchedSamples: unmatchedIds.slice(0, SAMPLE_LIMIT).map(describeIdentifier),
    unmatchedByReason: reasons.counts,
    unmatchedSamplesByReason: reasons.samples,
    identifiers,
  };
};

export const cohortRef = (workspaceId: string, cohortId: string): SetRef => ({ workspaceId, kind: 'cohort', setId: cohortId });

/** Versions of one import: a remove outranks an add of the same request. */
export const importVersions = (receivedAt: number, importId: string) => ({
  add: changeVersion(receivedAt, `${importId}#a`),
  remove: changeVersion(receivedAt, `${importId}#r`),
});

/** The counts of a request that carried no identifiers (a cohort create or rename), to start from. */
export const emptyImportCounts = (): ImportCounts => ({
  received: { user_ids: 0, device_ids: 0, aliases: 0 },
  duplicate: 0,
  conflicts: 0,
  conflictSamples: [],
  matched: 0,
  unmatched: 0,
  unmatchedSamples: [],
});

const recordPartnerKey = async (deps: WorkerDeps, message: { workspaceId: string; partner: string; partnerKeyFingerprint?: string | undefined; part?: number }, now: string) => {
  if (message.partnerKeyFingerprint !== undefined && (message.part ?? 0) === 0) {
    await deps.partnerKeys.record(message.workspaceId, message.partner, message.partnerKeyFingerprint, now);
  }
};

/** The source stored on the member items a delta writes: the import and its partner (Segment: the audience). */
const importSource = (message: MembershipMessage): ChangeSource =>
  message.partner === SEGMENT_PARTNER
    ? { kind: 'segment_audience', importId: message.importId, partner: message.partner, audience: message.cohortId }
    : { kind: 'cohort_import', importId: message.importId, partner: message.partner };

/** Applies one part of a membership delta and adds its outcome to the import report. */
export const applyMembershipPart = async (deps: WorkerDeps, message: MembershipMessage): Promise<PartOutcome> => {
  const now = isoNow(deps.clock);
  const set = cohortRef(message.workspaceId, message.cohortId);
  const receivedAtIso = new Date(message.receivedAt).toISOString();
  // A cohort first seen here gets its id as a provisional name; a real name (from /cohorts) is kept.
  await deps.sets.upsertSet(set, {
    name: message.cohortId,
    keepName: true,
    createdAt: message.createdAt ?? receivedAtIso,
    now,
    extra: { sourcePartner: message.partner },
  });
  const match = await matchIdentifiers(deps, message.workspaceId, message.changes);
  const versions = importVersions(message.receivedAt, message.importId);
  const result = emptyApplyResult();
  // A change that carries its own version (a Segment event's) is applied at it.
  const source = importSource(message);
  const change = (memberId: string, op: MembershipOp) => {
    const winner = match.winners.get(memberId);
    return { memberId, op, identifier: winner?.identifier, ...(winner?.version !== undefined ? { version: winner.version } : {}) };
  };
  const decided = new Map<string, MemberDecision>();
  if (match.removes.length > 0) {
    addApplyResult(result, await deps.membership.apply(set, 'profile', match.removes.map((memberId) => change(memberId, 'remove')), versions.remove, now, source, decided));
  }
  if (match.adds.length > 0) {
    addApplyResult(result, await deps.membership.apply(set, 'profile', match.adds.map((memberId) => change(memberId, 'add')), versions.add, now, source, decided));
  }
  await logDecisions(deps.decisions, message.decisionLogDays, message, match.identifiers, decided, match.winners);
  const outcome: PartOutcome = {
    kind: 'members',
    partner: message.partner,
    receivedAt: receivedAtIso,
    part: message.part,
    parts: message.parts,
    received: message.stats.received,
    duplicate: message.stats.duplicate,
    conflicts: message.stats.conflicts,
    conflictSamples: message.stats.conflictSamples,
    matched: match.matched,
    unmatched: match.unmatched,
    unmatchedSamples: match.unmatchedSamples,
    unmatchedByReason: match.unmatchedByReason,
    unmatchedSamplesByReason: match.unmatchedSamplesByReason,
    result,
    // The report's updatedAt says when this part finished applying.
    now: isoNow(deps.clock),
  };
  await deps.reports.recordPart({ set, importId: message.importId }, outcome);
  await recordPartnerKey(deps, message, now);
  return outcome;
};

/** Creates or renames a cohort: the first `created_at` is kept, the newest request's name wins. */
export const applyCohortUpsert = async (deps: WorkerDeps, message: CohortUpsertMessage): Promise<void> => {
  const now = isoNow(deps.clock);
  const set = cohortRef(message.workspaceId, message.cohortId);
  await deps.sets.upsertSet(set, { createdAt: message.createdAt, now, extra: { sourcePartner: message.partner } });
  await deps.sets.renameSet(set, message.name, changeVersion(message.receivedAt, message.importId), now);
  await deps.reports.recordPart(
    { set, importId: message.importId },
    {
      kind: 'cohort',
      partner: message.partner,
      receivedAt: new Date(message.receivedAt).toISOString(),
      part: 0,
      parts: 1,
      ...emptyImportCounts(),
      result: emptyApplyResult(),
      now,
    },
  );
  await recordPartnerKey(deps, message, now);
};
