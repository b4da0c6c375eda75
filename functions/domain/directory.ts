/**
 * The user directory's rules, mirroring Braze's identity model (docs/currents.md, "Worker"):
 * - a profile per braze_id; it claims its external_id, aliases and device ids;
 * - an anonymous profile that gains a new external_id becomes identified, and its device ids stop
 *   matching (their claims get `ownerIdentified = true`);
 * - an anonymous profile whose external_id is already held by another profile is orphaned: merged
 *   into the holder (claims move, aliases only where the holder has no alias of that label, cohort
 *   memberships move);
 * - a deletion leaves a tombstone, drops every claim and every membership;
 * - an older fact never overwrites a newer one: `identityVersion` is the newest event time applied,
 *   and an external_id change is only accepted from a newer event.
 * Pure logic over two ports, so the rules are unit-tested with in-memory fakes.
 */
import { identifierKey, type Identifier } from './identifiers';
import type { MembershipChange, SetRef } from './membership';
import { followMergeChains, type ProfileLookup } from './merge-chains';
import { isLive, newProfile, type Profile } from '../schemas/directory';
import type { DecisionLog, DirectoryPort, HistoryStore, MembershipPort } from './ports';

export interface DirectoryDeps {
  readonly directory: DirectoryPort;
  readonly membership: MembershipPort;
  /** The membership history, forgotten for a deleted user (docs/membership-history.md); absent where deletions cannot happen. */
  readonly history?: Pick<HistoryStore, 'forgetMember'>;
  /** The decision log, whose unmatched decisions naming a deleted user's identifiers are forgotten with it. */
  readonly decisions?: Pick<DecisionLog, 'forgetIdentifiers'>;
}

/** Identity facts about one braze_id gathered from a set of events. */
export interface UserFacts {
  readonly brazeId: string;
  /** The external_id of the newest event that carried one, with that event's time (ms) and id. */
  externalId?: { value: string; time: number; eventId: string };
  readonly deviceIds: Set<string>;
}

export type FactsOutcome = 'created' | 'updated' | 'unchanged' | 'late' | 'deleted' | 'merged' | 'conflict' | 'followed-merge';

/** Granularity of identityVersion confirmations (see applyUserFacts). */
export const IDENTITY_BUMP_MS = 3_600_000;

/** The live profile a (possibly merged) braze id ends at (`followMergeChains`, one `getProfile` per hop), if any. */
export const resolveLive = async (deps: DirectoryDeps, workspaceId: string, brazeId: string): Promise<Profile | undefined> => {
  const readOne: ProfileLookup = async (ids) => {
    const found = new Map<string, Profile>();
    for (const id of ids) {
      const profile = await deps.directory.getProfile(workspaceId, id);
      if (profile) found.set(id, profile);
    }
    return found;
  };
  const end = (await followMergeChains(readOne, [brazeId])).get(brazeId);
  return end && isLive(end) ? end : undefined;
};

type ExternalIdFact = NonNullable<UserFacts['externalId']>;

/** Where locating the profile ended: at a profile to apply the facts to, or at a final outcome. */
type Located = { readonly profile: Profile; readonly outcome: FactsOutcome } | { readonly done: FactsOutcome };

/**
 * Step 1: the profile the facts are about. A new braze_id whose identifiers are all free is created
 * with them in one transaction (done); otherwise the profile read beforehand (`known`), or created
 * bare, or — created meanwhile by another worker — read back.
 */
const locateProfile = async (deps: DirectoryDeps, workspaceId: string, facts: UserFacts, known: Profile | undefined, now: string): Promise<Located> => {
  const { directory } = deps;
  let profile = known;
  if (!profile) {
    const identity = { ...(facts.externalId ? { externalId: facts.externalId.value } : {}), deviceIds: [...facts.deviceIds], identityVersion: facts.externalId?.time ?? 0 };
    const fast = await directory.createProfileWithIdentifiers(workspaceId, facts.brazeId, identity, now);
    if (fast === 'created') return { done: 'created' };
    if (fast === 'exists') profile = await directory.getProfile(workspaceId, facts.brazeId);
    else if (typeof fast === 'object') profile = fast.exists;
  }
  if (profile) return { profile, outcome: 'unchanged' };
  if (await directory.createProfile(workspaceId, facts.brazeId, now)) return { profile: newProfile(workspaceId, facts.brazeId, now), outcome: 'created' };
  // Created meanwhile by another worker: read what it wrote.
  profile = await directory.getProfile(workspaceId, facts.brazeId);
  return profile ? { profile, outcome: 'unchanged' } : { done: 'unchanged' };
};

/** A late event of an orphaned profile: its device ids belong to the survivor now. */
const followMerge = async (deps: DirectoryDeps, workspaceId: string, facts: UserFacts, mergedInto: string, now: string): Promise<FactsOutcome> => {
  const survivor = await resolveLive(deps, workspaceId, mergedInto);
  if (survivor) {
    for (const value of facts.deviceIds) await deps.directory.claim(workspaceId, survivor.brazeId, { kind: 'device_id', value }, now);
  }
  return 'followed-merge';
};

/**
 * Step 2: new device ids are claimed; true if any was. A device id another profile holds stays with
 * it: devices change hands through orphan merges.
 */
const claimNewDevices = async (deps: DirectoryDeps, workspaceId: string, facts: UserFacts, profile: Profile, now: string): Promise<boolean> => {
  let claimedAny = false;
  for (const value of facts.deviceIds) {
    if (profile.deviceIds.includes(value)) continue;
    if ((await deps.directory.claim(workspaceId, profile.brazeId, { kind: 'device_id', value }, now)) === 'claimed') claimedAny = true;
  }
  return claimedAny;
};

/**
 * An identified profile's external_id differs: Braze renamed it — or this is a late event from
 * before a rename. Only a newer event renames.
 */
const renameExternalId = async (deps: DirectoryDeps, workspaceId: string, profile: Profile, from: string, external: ExternalIdFact, now: string): Promise<FactsOutcome> => {
  if (external.time <= profile.identityVersion) return 'late';
  const renamed = await deps.directory.renameExternalId(workspaceId, profile.brazeId, from, external.value, external.time, now);
  return renamed === 'renamed' ? 'updated' : renamed === 'stale' ? 'late' : 'conflict';
};

/**
 * An anonymous profile gains an external_id: claimed, it becomes identified (its device ids stop
 * matching); held by another profile, Braze's orphan rule merges it into the holder.
 */
const identifyAnonymous = async (deps: DirectoryDeps, workspaceId: string, profile: Profile, external: ExternalIdFact, membershipVersion: string, now: string): Promise<FactsOutcome> => {
  const { directory } = deps;
  const identifier: Identifier = { kind: 'external_id', value: external.value };
  const claimed = await directory.claim(workspaceId, profile.brazeId, identifier, now);
  if (claimed === 'claimed') {
    await directory.markClaimsIdentified(workspaceId, profile.brazeId);
    await directory.bumpIdentityVersion(workspaceId, profile.brazeId, external.time);
    return 'updated';
  }
  if (claimed !== 'held-by-other') return 'conflict';
  const holder = (await directory.resolveClaims(workspaceId, [identifierKey(identifier)])).get(identifierKey(identifier));
  if (!holder) return 'conflict';
  const merged = await mergeProfiles(deps, workspaceId, profile.brazeId, holder.profileId, membershipVersion, now);
  return merged ? 'merged' : 'conflict';
};

/** Step 3: the newest external_id of the facts — a confirmation, a rename, or a first identification. */
const applyExternalId = async (
  deps: DirectoryDeps,
  workspaceId: string,
  profile: Profile,
  external: ExternalIdFact,
  context: { readonly outcome: FactsOutcome; readonly membershipVersion: string; readonly now: string; readonly confirm?: Confirm },
): Promise<FactsOutcome> => {
  if (profile.externalId === external.value) {
    // A confirmation moves the version forward, at most once per IDENTITY_BUMP_MS per user: an
    // active user would otherwise cost one write per message. The price: a late event carrying
    // a different external_id less than that much newer than the last recorded confirmation can
    // still rename — only possible if Braze renamed the user twice within that window.
    if (external.time > profile.identityVersion + IDENTITY_BUMP_MS) {
      if (context.confirm) context.confirm(profile.brazeId, external.time);
      else await deps.directory.bumpIdentityVersion(workspaceId, profile.brazeId, external.time);
    }
    return context.outcome;
  }
  if (profile.externalId !== undefined) return renameExternalId(deps, workspaceId, profile, profile.externalId, external, context.now);
  return identifyAnonymous(deps, workspaceId, profile, external, context.membershipVersion, context.now);
};

/** Takes an identity confirmation (`bumpIdentityVersion`) for the caller to write later, batched with others. */
export type Confirm = (brazeId: string, version: number) => void;

/**
 * Applies what events say about one braze_id. `known` is the profile as read in batch beforehand
 * (undefined if absent). `membershipVersion` orders a resulting merge's membership moves. With
 * `confirm`, a confirmation is handed to it instead of written.
 */
export const applyUserFacts = async (
  deps: DirectoryDeps,
  workspaceId: string,
  facts: UserFacts,
  known: Profile | undefined,
  membershipVersion: string,
  now: string,
  confirm?: Confirm,
): Promise<FactsOutcome> => {
  const located = await locateProfile(deps, workspaceId, facts, known, now);
  if ('done' in located) return located.done;
  const { profile } = located;
  if (profile.deletedAt !== undefined) return 'deleted';
  if (profile.mergedInto !== undefined) return followMerge(deps, workspaceId, facts, profile.mergedInto, now);
  const devicesClaimed = await claimNewDevices(deps, workspaceId, facts, profile, now);
  const outcome: FactsOutcome = devicesClaimed && located.outcome === 'unchanged' ? 'updated' : located.outcome;
  if (!facts.externalId) return outcome;
  return applyExternalId(deps, workspaceId, profile, facts.externalId, { outcome, membershipVersion, now, ...(confirm ? { confirm } : {}) });
};

export interface MergeResult {
  readonly survivor: string;
  readonly moved: number;
  readonly dropped: number;
  readonly cohortsMoved: number;
}

/**
 * Merges `orphan` into `survivor` (Braze's orphaning): marks the orphan, moves its claims — device
 * ids and external_id always (if the survivor has none), aliases only where the survivor has no
 * alias of that label (the others are released) — and moves its cohort memberships. Every step is
 * idempotent, so a redelivered merge converges. Undefined when refused (orphan deleted, or merged
 * into a different profile, or no live survivor).
 */
export const mergeProfiles = async (
  deps: DirectoryDeps,
  workspaceId: string,
  orphan: string,
  survivorId: string,
  membershipVersion: string,
  now: string,
): Promise<MergeResult | undefined> => {
  const { directory, membership } = deps;
  const survivor = await resolveLive(deps, workspaceId, survivorId);
  if (!survivor || survivor.brazeId === orphan) return undefined;
  if (!(await directory.markMerged(workspaceId, orphan, survivor.brazeId, now))) return undefined;

  let moved = 0;
  let dropped = 0;
  for (const claim of await directory.claimsOf(workspaceId, orphan)) {
    const outcome = await directory.moveClaim(workspaceId, claim.key, orphan, survivor.brazeId, now);
    if (outcome === 'moved') moved += 1;
    else if (outcome === 'label-taken') {
      // Braze keeps the survivor's alias of that label; the orphan's one is released.
      await directory.dropClaim(workspaceId, claim.key, orphan);
      dropped += 1;
    }
  }
  // The survivor may be identified already, or just became so with the orphan's external_id:
  // either way every device id it now holds must stop matching.
  await directory.markClaimsIdentified(workspaceId, survivor.brazeId);

  const sets = await membership.setsOfMember(workspaceId, 'profile', orphan, 'cohort');
  for (const { setId } of sets) {
    const set: SetRef = { workspaceId, kind: 'cohort', setId };
    const source = { kind: 'orphan_merge' as const, mergedFrom: orphan, mergedInto: survivor.brazeId };
    await membership.apply(set, 'profile', [{ memberId: orphan, op: 'remove' }], membershipVersion, now, source);
    await membership.apply(set, 'profile', [{ memberId: survivor.brazeId, op: 'add' }], membershipVersion, now, source);
  }
  return { survivor: survivor.brazeId, moved, dropped, cohortsMoved: sets.length };
};

/**
 * Deletes a profile (users.UserDeleteRequest): leaves a tombstone carrying the deletion's version
 * (so no claim can be added any more), releases every claim it held, removes its cohort
 * memberships, and forgets its membership history and decision-log items. Idempotent: a retry finds the claims through the byProfile index.
 */
export const deleteProfile = async (
  deps: DirectoryDeps,
  workspaceId: string,
  brazeId: string,
  version: number,
  membershipVersion: string,
  now: string,
): Promise<{ cohortsLeft: number; claimsDropped: number }> => {
  const { directory, membership } = deps;
  const claims = await directory.claimsOf(workspaceId, brazeId);
  await directory.tombstone(workspaceId, brazeId, version, now);
  // Before the claims go: a retry finds the identifiers through them.
  await deps.decisions?.forgetIdentifiers(workspaceId, claims.map((claim) => claim.key));
  for (const claim of claims) await directory.dropClaim(workspaceId, claim.key, brazeId);
  const sets = await membership.setsOfMember(workspaceId, 'profile', brazeId, 'cohort');
  const removal: MembershipChange[] = [{ memberId: brazeId, op: 'remove' }];
  for (const { setId } of sets) await membership.apply({ workspaceId, kind: 'cohort', setId }, 'profile', removal, membershipVersion, now, { kind: 'user_deletion' });
  await deps.history?.forgetMember(workspaceId, 'profile', brazeId);
  return { cohortsLeft: sets.length, claimsDropped: claims.length };
};
