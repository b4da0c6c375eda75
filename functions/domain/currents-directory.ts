/**
 * Step 3a of the Currents worker (domain/currents.ts): the directory learns the `user` blocks of a
 * message's ordinary events. One batched profile read for the whole message; the new users that
 * share no identifier with another of its users are created together (few transactions); the
 * others go through the identity rules one by one (domain/directory.ts `applyUserFacts`), and
 * their confirmations are written together at the end.
 */
import { applyUserFacts, type DirectoryDeps, type FactsOutcome, type UserFacts } from './directory';
import { identifierKey } from './identifiers';
import { changeVersion } from './membership';
import type { NewIdentity } from './ports';
import type { Profile } from '../schemas/directory';
import { inLanes } from '../shared/lanes';
import { userOf, USER_DELETE_REQUEST, USER_ORPHAN, type CurrentsEvent } from '../schemas/currents';

/** Users whose directory facts are applied at once within one message. */
export const USER_CONCURRENCY = 8;

export const isIdentityCommand = (event: CurrentsEvent) => event.event_type === USER_DELETE_REQUEST || event.event_type === USER_ORPHAN;

/** Gathers the identity facts of ordinary events, per braze_id (orphan and delete events are handled apart). */
export const collectFacts = (events: readonly CurrentsEvent[]): Map<string, UserFacts> => {
  const facts = new Map<string, UserFacts>();
  for (const event of events) {
    if (isIdentityCommand(event)) continue;
    const user = userOf(event);
    if (!user?.user_id) continue;
    let entry = facts.get(user.user_id);
    if (!entry) {
      entry = { brazeId: user.user_id, deviceIds: new Set() };
      facts.set(user.user_id, entry);
    }
    if (user.device_id) entry.deviceIds.add(user.device_id);
    const time = event.time * 1000;
    if (user.external_user_id && (!entry.externalId || time > entry.externalId.time)) {
      entry.externalId = { value: user.external_user_id, time, eventId: event.id };
    }
  }
  return facts;
};

/** What step 3a needs of the message being processed. */
export interface FactsRun {
  readonly deps: DirectoryDeps;
  readonly workspaceId: string;
  readonly nowMs: number;
  /** `nowMs` as ISO-8601: the time written on directory items. */
  readonly now: string;
  readonly stats: { readonly directory: Partial<Record<FactsOutcome, number>> };
  /** Braze ids deleted by this message, to which its late events must not be stored. */
  readonly deleted: Set<string>;
}

const count = (run: FactsRun, outcome: FactsOutcome) => {
  run.stats.directory[outcome] = (run.stats.directory[outcome] ?? 0) + 1;
};

/**
 * Users are independent, except those carrying the same external_id (an orphan merge may be under
 * way between them): those go one after the other, oldest fact first; groups run in parallel.
 */
const groupByExternalId = (facts: Map<string, UserFacts>): UserFacts[][] => {
  const groups = new Map<string, UserFacts[]>();
  for (const entry of facts.values()) {
    const key = entry.externalId ? `ext:${entry.externalId.value}` : `id:${entry.brazeId}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()].map((group) => group.sort((a, b) => (a.externalId?.time ?? 0) - (b.externalId?.time ?? 0)));
};

/**
 * Profiles absent from the message's snapshot, read again once another worker is seen creating them
 * (a create lost its race): the message's other new users are then likely taken too, and one
 * BatchGetItem is cheaper than a cancelled transaction each.
 */
const raceRefresh = (run: FactsRun, absent: readonly string[]) => {
  let raced = false;
  let refreshed: Promise<Map<string, Profile>> | undefined;
  return {
    lost: () => {
      raced = true;
    },
    lookup: async (brazeId: string): Promise<Profile | undefined> => {
      if (!raced) return undefined;
      refreshed ??= run.deps.directory.getProfiles(run.workspaceId, absent);
      return (await refreshed).get(brazeId);
    },
  };
};

const identifierKeysOf = (entry: UserFacts): string[] => [
  ...(entry.externalId ? [identifierKey({ kind: 'external_id', value: entry.externalId.value })] : []),
  ...[...entry.deviceIds].map((value) => identifierKey({ kind: 'device_id', value })),
];

/**
 * New users whose identifiers no other user of the message carries are created at once, each
 * exactly as `applyUserFacts` would create it alone. Returns the braze ids created; a profile
 * found in place (another worker won) joins `profiles`; the rest is left to the one-by-one path.
 */
const createNewUsers = async (run: FactsRun, facts: Map<string, UserFacts>, profiles: Map<string, Profile>): Promise<Set<string>> => {
  const carriers = new Map<string, number>();
  for (const entry of facts.values()) for (const key of identifierKeysOf(entry)) carriers.set(key, (carriers.get(key) ?? 0) + 1);
  const identities = new Map<string, NewIdentity>();
  for (const entry of facts.values()) {
    if (profiles.has(entry.brazeId) || identifierKeysOf(entry).some((key) => carriers.get(key) !== 1)) continue;
    const externalId = entry.externalId ? { externalId: entry.externalId.value } : {};
    identities.set(entry.brazeId, { ...externalId, deviceIds: [...entry.deviceIds], identityVersion: entry.externalId?.time ?? 0 });
  }
  const created = new Set<string>();
  if (identities.size === 0) return created;
  for (const [brazeId, outcome] of await run.deps.directory.createProfilesWithIdentifiers(run.workspaceId, identities, run.now)) {
    if (outcome === 'created') created.add(brazeId);
    else if (typeof outcome === 'object') profiles.set(brazeId, outcome.exists);
  }
  return created;
};

/** Step 3a: the directory learns the ordinary events' facts, one profile read for the whole message. */
export const learnUserFacts = async (run: FactsRun, fresh: readonly CurrentsEvent[]): Promise<void> => {
  const { deps, workspaceId } = run;
  const facts = collectFacts(fresh);
  const profiles = await deps.directory.getProfiles(workspaceId, [...facts.keys()]);
  const created = await createNewUsers(run, facts, profiles);
  for (const brazeId of created) {
    facts.delete(brazeId);
    count(run, 'created');
  }
  const race = raceRefresh(run, [...facts.keys()].filter((id) => !profiles.has(id)));
  const confirmations = new Map<string, number>();
  const confirm = (brazeId: string, version: number) => confirmations.set(brazeId, Math.max(version, confirmations.get(brazeId) ?? 0));
  await inLanes(groupByExternalId(facts), USER_CONCURRENCY, async (group) => {
    for (const entry of group) {
      const version = changeVersion(run.nowMs, `currents#${entry.externalId?.eventId ?? entry.brazeId}`);
      const known = profiles.get(entry.brazeId) ?? (await race.lookup(entry.brazeId));
      const outcome = await applyUserFacts(deps, workspaceId, entry, known, version, run.now, confirm);
      if (!known && outcome !== 'created') race.lost();
      count(run, outcome);
      if (outcome === 'deleted') run.deleted.add(entry.brazeId);
    }
  });
  if (confirmations.size > 0) await deps.directory.bumpIdentityVersions(workspaceId, confirmations);
};
