/**
 * The Braze export path of a user file: each user is applied through the same identity rules as a
 * Currents event (directory.ts `applyUserFacts`: create with identifiers, claim device ids, identify,
 * rename only from a newer fact, orphan-merge), its external_id fact carrying the export's start
 * time as version; then its aliases are claimed (the claim rules: a name is unique per label, one
 * alias per label per user). So an export never overwrites an identity fact learnt later from
 * Currents or a newer export, and deletes nothing. What changed is told by reading the chunk's
 * profiles before and after (one batched read each), not by trusting each step's answer.
 */
import { ownValue } from '../shared/own';
import type { Profile } from '../schemas/directory';
import { inLanes } from '../shared/lanes';
import { USER_CONCURRENCY } from './currents';
import { applyUserFacts, resolveLive, type FactsOutcome, type UserFacts } from './directory';
import type { ImportRun } from './directory-import';
import { describeIdentifier, type Identifier } from './identifiers';
import type { ImportRow } from './user-import';

/** The user's facts as the identity rules take them: the external_id versioned by the export's start. */
const factsOf = (run: ImportRun, row: ImportRow & { brazeId: string }): UserFacts => ({
  brazeId: row.brazeId,
  deviceIds: new Set(row.deviceIds),
  ...(row.externalId !== undefined ? { externalId: { value: row.externalId, time: run.input.version, eventId: `export#${run.input.importId}` } } : {}),
});

/** Claims the row's aliases on its live profile (the survivor, after a merge). */
const claimAliases = async (run: ImportRun, row: ImportRow & { brazeId: string }, known: Profile | undefined): Promise<void> => {
  const { workspaceId } = run.input;
  const live = await resolveLive(run.deps, workspaceId, row.brazeId);
  if (!live) return;
  for (const alias of row.aliases) {
    if (ownValue(known?.aliases, alias.label) === alias.name && live.brazeId === row.brazeId) continue;
    await run.deps.directory.claim(workspaceId, live.brazeId, { kind: 'alias', ...alias }, run.now);
  }
};

const applyUser = async (run: ImportRun, row: ImportRow & { brazeId: string }, known: Profile | undefined): Promise<FactsOutcome> => {
  const outcome = await applyUserFacts(run.deps, run.input.workspaceId, factsOf(run, row), known, run.membershipVersion, run.now);
  if (outcome !== 'deleted' && row.aliases.length > 0) await claimAliases(run, row, known);
  return outcome;
};

/** The profile each braze id ends at now: itself, or (one hop, then the rules' own chain walk) its survivor. */
const profilesAfter = async (run: ImportRun, ids: readonly string[]): Promise<Map<string, Profile>> => {
  const { workspaceId } = run.input;
  const after = await run.deps.directory.getProfiles(workspaceId, ids);
  for (const [id, profile] of after) {
    if (profile.mergedInto === undefined) continue;
    const survivor = await resolveLive(run.deps, workspaceId, profile.mergedInto);
    if (survivor) after.set(id, survivor);
  }
  return after;
};

/** Why an identifier of the row is not on its profile. */
const conflictReason = (identifier: Identifier, live: Profile | undefined, outcome: FactsOutcome): string => {
  if (!live) return 'the user could not be created';
  if (identifier.kind === 'alias' && ownValue(live.aliases, identifier.label) !== undefined) return 'the user already has another alias with this label';
  if (identifier.kind === 'external_id' && live.externalId !== undefined) return outcome === 'conflict' ? 'another user holds this external_id' : 'the user has another external_id';
  return 'another user holds it';
};

/** Counts one user: what its live profile gained, and which of its identifiers it does not hold. */
const tally = (run: ImportRun, row: ImportRow, before: Profile | undefined, live: Profile | undefined, outcome: FactsOutcome): void => {
  const { counts } = run;
  if (outcome === 'deleted') {
    counts.deleted += 1;
    return;
  }
  if (outcome === 'merged' || outcome === 'followed-merge') counts.merged += 1;
  if (outcome === 'late') counts.stale += 1;
  const has = (identifier: Identifier, profile: Profile | undefined): boolean => {
    if (!profile) return false;
    if (identifier.kind === 'alias') return ownValue(profile.aliases, identifier.label) === identifier.name;
    if (identifier.kind === 'external_id') return profile.externalId === identifier.value;
    return profile.deviceIds.includes(identifier.value);
  };
  const identifiers: Identifier[] = [
    ...(row.externalId !== undefined ? [{ kind: 'external_id' as const, value: row.externalId }] : []),
    ...row.aliases.map((alias) => ({ kind: 'alias' as const, ...alias })),
    ...row.deviceIds.map((value) => ({ kind: 'device_id' as const, value })),
  ];
  let gained = 0;
  for (const identifier of identifiers) {
    if (has(identifier, live)) {
      if (has(identifier, before)) continue;
      gained += 1;
      if (identifier.kind === 'external_id') counts.externalIdsApplied += 1;
      else if (identifier.kind === 'alias') counts.aliasesApplied += 1;
      else counts.devicesApplied += 1;
    } else if (!(identifier.kind === 'external_id' && outcome === 'late')) {
      counts.conflicts += 1;
      run.sink.conflict?.({ line: row.line, identifier: `${identifier.kind}:${describeIdentifier(identifier)}`, reason: conflictReason(identifier, live, outcome) });
    }
  }
  counts.identifiersClaimed += gained;
  if (!before && live) counts.profilesCreated += 1;
  else if (gained > 0 || outcome === 'merged') counts.profilesUpdated += 1;
  else counts.profilesUnchanged += 1;
};

/**
 * One chunk of a Braze export: the profiles read once, users applied eight at a time (a braze_id
 * repeated within the chunk is a reject: one user, one line), the profiles read again to count.
 */
export const applyExportChunk = async (run: ImportRun, rows: readonly ImportRow[]): Promise<void> => {
  const { workspaceId } = run.input;
  const seen = new Set<string>();
  const users: (ImportRow & { brazeId: string })[] = [];
  for (const row of rows) {
    if (row.brazeId === undefined) continue;
    if (seen.has(row.brazeId)) {
      run.counts.rejected += 1;
      run.sink.reject({ line: row.line, reason: `braze_id ${row.brazeId} repeats an earlier line`, raw: '' });
      continue;
    }
    seen.add(row.brazeId);
    users.push({ ...row, brazeId: row.brazeId });
  }
  const ids = users.map((user) => user.brazeId);
  const before = await run.deps.directory.getProfiles(workspaceId, ids);
  const outcomes = new Map<string, FactsOutcome>();
  await inLanes(users, USER_CONCURRENCY, async (user) => {
    outcomes.set(user.brazeId, await applyUser(run, user, before.get(user.brazeId)));
  });
  const after = await profilesAfter(run, ids);
  for (const user of users) tally(run, user, before.get(user.brazeId), after.get(user.brazeId), outcomes.get(user.brazeId) ?? 'unchanged');
};
