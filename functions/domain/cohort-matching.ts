/**
 * The matching worker of cohort import: resolves a queued delta's identifiers to existing profiles
 * (never creating one), applies the adds and removes through the membership engine, and records
 * the import report.
 *
 * Matching rules (Braze's): `user_ids` match the external_id, `aliases` match label+name, and
 * `device_ids` match only profiles that are still anonymous — a device id whose profile has an
 * external_id matches nothing. A profile merged into another resolves to the survivor.
 *
 * Ordering: adds are written at version `<receivedAt>#<importId>#a` and removes at
 * `<receivedAt>#<importId>#r`. Across requests the receive time decides; within one request a
 * remove always outranks an add of the same profile, even when they arrive in different message
 * parts or through different identifiers of one profile.
 */
import type { Claim, Profile } from '../schemas/directory';
import { SAMPLE_LIMIT, type CohortUpsertMessage, type MembershipMessage, type ReceivedCounts } from '../schemas/cohort-import';
import { describeIdentifier, identifierKey, type Identifier } from './identifiers';
import type { ImportFailureCode } from './import-failures';
import { changeVersion, emptyApplyResult, type ApplyResult, type MembershipStore, type SetRef } from './membership';
import { isoNow, type Clock } from './ports';
import { isMalformed, mergedWithoutSurvivor, unmatchedTally, type UnmatchedByReason, type UnmatchedSamplesByReason } from './unmatched-reasons';

export interface ClaimResolver {
  resolveClaims(workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>>;
}

export interface ProfileReader {
  /** Profiles by braze id (missing ids are absent from the map). */
  getProfiles(workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>>;
}

export interface SetWriter {
  upsertSet(
    set: SetRef,
    fields: { name?: string; createdAt: string; now: string; extra?: Record<string, unknown>; keepName?: boolean },
  ): Promise<void>;
  /** Sets the name if `version` is newer than the one that set the current name. */
  renameSet(set: SetRef, name: string, version: string, now: string): Promise<boolean>;
}

export interface ImportReportKey {
  readonly set: SetRef;
  readonly importId: string;
}

export interface PartOutcome {
  readonly kind: 'members' | 'cohort';
  readonly partner: string;
  readonly receivedAt: string;
  readonly part: number;
  readonly parts: number;
  readonly received: ReceivedCounts;
  readonly duplicate: number;
  readonly conflicts: number;
  readonly conflictSamples: string[];
  readonly matched: number;
  readonly unmatched: number;
  readonly unmatchedSamples: string[];
  /** Unmatched identifiers per kind and reason, with samples per reason (unmatched-reasons.ts). */
  readonly unmatchedByReason?: UnmatchedByReason;
  readonly unmatchedSamplesByReason?: UnmatchedSamplesByReason;
  readonly result: ApplyResult;
  readonly now: string;
}

export interface ImportReports {
  /** Adds one part's outcome to the report; a part already recorded is ignored (idempotent). */
  recordPart(key: ImportReportKey, outcome: PartOutcome): Promise<boolean>;
  /** Marks the import failed (the part will not be retried any more). */
  markFailed(key: ImportReportKey, part: number, code: ImportFailureCode, now: string): Promise<void>;
}

export interface PartnerKeyLog {
  /** Remembers that a partner presented a key with this fingerprint to this workspace. */
  record(workspaceId: string, partner: string, fingerprint: string, now: string): Promise<void>;
}

export interface WorkerDeps {
  readonly claims: ClaimResolver;
  readonly profiles: ProfileReader;
  readonly membership: MembershipStore;
  readonly sets: SetWriter;
  readonly reports: ImportReports;
  readonly partnerKeys: PartnerKeyLog;
  readonly clock: Clock;
}

/** How many `mergedInto` hops are followed before a chain is treated as broken. */
const MAX_MERGE_HOPS = 5;

/** Reads profiles and follows `mergedInto` to the survivor; absent when a profile is missing. */
export const resolveSurvivors = async (
  reader: ProfileReader,
  workspaceId: string,
  brazeIds: readonly string[],
): Promise<Map<string, Profile>> => {
  const survivors = new Map<string, Profile>();
  let pending = new Map<string, string[]>([...new Set(brazeIds)].map((id) => [id, [id]]));
  for (let hop = 0; hop <= MAX_MERGE_HOPS && pending.size > 0; hop += 1) {
    const found = await reader.getProfiles(workspaceId, [...pending.keys()]);
    const next = new Map<string, string[]>();
    for (const [id, origins] of pending) {
      const profile = found.get(id);
      if (!profile) continue;
      if (profile.mergedInto === undefined || profile.mergedInto === id) {
        for (const origin of origins) survivors.set(origin, profile);
      } else {
        next.set(profile.mergedInto, [...(next.get(profile.mergedInto) ?? []), ...origins]);
      }
    }
    pending = next;
  }
  return survivors;
};

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
  readonly unmatchedByReason: UnmatchedByReason;
  readonly unmatchedSamplesByReason: UnmatchedSamplesByReason;
}

/** Resolves identifiers to surviving profiles by Braze's matching rules. Creates nothing. */
export const matchIdentifiers = async (
  deps: Pick<WorkerDeps, 'claims' | 'profiles'>,
  workspaceId: string,
  changes: readonly { identifier: Identifier; op: 'add' | 'remove' }[],
): Promise<MatchOutcome> => {
  const claims = await resolveClaimsConcurrently(
    deps.claims,
    workspaceId,
    changes.map((change) => identifierKey(change.identifier)),
  );
  const candidates: { identifier: Identifier; op: 'add' | 'remove'; profileId: string }[] = [];
  const unmatchedIds: Identifier[] = [];
  const reasons = unmatchedTally();
  for (const change of changes) {
    const claim = claims.get(identifierKey(change.identifier));
    if (claim && !(change.identifier.kind === 'device_id' && claim.ownerIdentified)) {
      candidates.push({ ...change, profileId: claim.profileId });
      continue;
    }
    unmatchedIds.push(change.identifier);
    // A device id stops matching once its profile is identified.
    reasons.add(change.identifier, claim ? 'device_of_identified_profile' : isMalformed(change.identifier) ? 'malformed' : 'unknown_identifier');
  }
  const survivors = await resolveSurvivors(
    deps.profiles,
    workspaceId,
    candidates.map((candidate) => candidate.profileId),
  );
  const ops = new Map<string, 'add' | 'remove'>();
  let matched = 0;
  const merged = await mergedWithoutSurvivor(deps.profiles, workspaceId, candidates.map((candidate) => candidate.profileId).filter((id) => !survivors.has(id)));
  for (const candidate of candidates) {
    const profile = survivors.get(candidate.profileId);
    // Checked on the profile too: a device claim whose flag was not yet updated, or whose profile
    // was merged into an identified survivor, must still match nothing.
    if (!profile || (candidate.identifier.kind === 'device_id' && profile.externalId !== undefined)) {
      unmatchedIds.push(candidate.identifier);
      reasons.add(candidate.identifier, profile ? 'device_of_identified_profile' : merged.has(candidate.profileId) ? 'merged_profile_followed' : 'unknown_identifier');
      continue;
    }
    matched += 1;
    if (ops.get(profile.brazeId) !== 'remove') ops.set(profile.brazeId, candidate.op);
  }
  const entries = [...ops];
  return {
    adds: entries.filter(([, op]) => op === 'add').map(([id]) => id),
    removes: entries.filter(([, op]) => op === 'remove').map(([id]) => id),
    matched,
    unmatched: unmatchedIds.length,
    unmatchedSamples: unmatchedIds.slice(0, SAMPLE_LIMIT).map(describeIdentifier),
    unmatchedByReason: reasons.counts,
    unmatchedSamplesByReason: reasons.samples,
  };
};

export const cohortRef = (workspaceId: string, cohortId: string): SetRef => ({ workspaceId, kind: 'cohort', setId: cohortId });

/** Versions of one import: a remove outranks an add of the same request. */
export const importVersions = (receivedAt: number, importId: string) => ({
  add: changeVersion(receivedAt, `${importId}#a`),
  remove: changeVersion(receivedAt, `${importId}#r`),
});

const sumResults = (a: ApplyResult, b: ApplyResult): ApplyResult => ({
  added: a.added + b.added,
  removed: a.removed + b.removed,
  unchanged: a.unchanged + b.unchanged,
  stale: a.stale + b.stale,
});

const recordPartnerKey = async (deps: WorkerDeps, message: { workspaceId: string; partner: string; partnerKeyFingerprint?: string | undefined; part?: number }, now: string) => {
  if (message.partnerKeyFingerprint !== undefined && (message.part ?? 0) === 0) {
    await deps.partnerKeys.record(message.workspaceId, message.partner, message.partnerKeyFingerprint, now);
  }
};

/** Applies one part of a membership delta and adds its outcome to the import report. */
export const applyMembershipPart = async (deps: WorkerDeps, message: MembershipMessage): Promise<PartOutcome> => {
  const now = isoNow(deps.clock);
  const set = cohortRef(message.workspaceId, message.cohortId);
  const receivedAtIso = new Date(message.receivedAt).toISOString();
  // A cohort first seen here gets its id as a provisional name; a real name (from /cohorts) is kept.
  await deps.sets.upsertSet(set, {
    name: message.cohortId,
    keepName: true,
    createdAt: receivedAtIso,
    now,
    extra: { sourcePartner: message.partner },
  });
  const match = await matchIdentifiers(deps, message.workspaceId, message.changes);
  const versions = importVersions(message.receivedAt, message.importId);
  const empty = emptyApplyResult();
  const removed =
    match.removes.length > 0
      ? await deps.membership.apply(set, 'profile', match.removes.map((memberId) => ({ memberId, op: 'remove' })), versions.remove, now)
      : empty;
  const added =
    match.adds.length > 0
      ? await deps.membership.apply(set, 'profile', match.adds.map((memberId) => ({ memberId, op: 'add' })), versions.add, now)
      : empty;
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
    result: sumResults(removed, added),
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
      received: { user_ids: 0, device_ids: 0, aliases: 0 },
      duplicate: 0,
      conflicts: 0,
      conflictSamples: [],
      matched: 0,
      unmatched: 0,
      unmatchedSamples: [],
      result: emptyApplyResult(),
      now,
    },
  );
  await recordPartnerKey(deps, message, now);
};
