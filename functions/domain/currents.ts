/**
 * The Currents worker's logic for one queued message:
 * 1. rejects are stored in the rejects store;
 * 2. events already processed (a marker per event id, kept 14 days: Braze retries for 5 days and
 *    its data is kept 7 more) are skipped, as are repeats within the message;
 * 3. the directory learns from the `user` blocks (one batched profile read per message, writes only
 *    for new facts), then merges (users.UserOrphan) and deletions (users.UserDeleteRequest) run in
 *    event-time order;
 * 4. events are stored (BatchWriteItem, 25 a call) — except late events of a deleted user;
 * 5. the markers are written last, so a crash before them means a harmless redo (every step is
 *    idempotent and event items have deterministic keys), never a lost event.
 */
import { gunzipSync } from 'node:zlib';
import { applyUserFacts, deleteProfile, mergeProfiles, type DirectoryDeps, type FactsOutcome, type UserFacts } from './directory';
import { changeVersion } from './membership';
import type { Clock } from './ports';
import { currentsEventSchema, stringProperty, userOf, USER_DELETE_REQUEST, USER_ORPHAN, type CurrentsEvent, type CurrentsMessage, type CurrentsReject } from '../schemas/currents';

export { USER_DELETE_REQUEST, USER_ORPHAN } from '../schemas/currents';

/** Dedupe markers outlive Braze's 5 days of retries plus 7 days of its retention. */
export const MARKER_DAYS = 14;
const DAY_SECONDS = 86_400;

/** What the worker needs from the events storage (adapters/events-store.ts). */
export interface EventsPort {
  processed(workspaceId: string, eventIds: readonly string[], nowSeconds: number): Promise<Set<string>>;
  markProcessed(workspaceId: string, eventIds: readonly string[], expiration: number, now: string): Promise<void>;
  putEvents(
    events: readonly { workspaceId: string; brazeId: string | undefined; event: CurrentsEvent; receivedAt: number; expiresAt: number }[],
  ): Promise<void>;
  putRejects(rejects: readonly { workspaceId: string; receivedAt: number; batchId: string; reject: CurrentsReject; expiresAt: number }[]): Promise<void>;
  deleteUserEvents(workspaceId: string, brazeId: string, keep?: (eventId: string) => boolean): Promise<number>;
}

export interface CurrentsWorkerDeps extends DirectoryDeps {
  readonly events: EventsPort;
  readonly clock: Clock;
  readonly retentionDays: number;
}

export interface CurrentsStats {
  received: number;
  duplicates: number;
  stored: number;
  rejects: number;
  droppedForDeletedUser: number;
  merges: number;
  deletions: number;
  directory: Partial<Record<FactsOutcome, number>>;
}

/**
 * When a stored event expires (DynamoDB TTL, epoch s): the retention counts from the event's time
 * or from when the hub received it, whichever is later, so an event answered 200 is never stored
 * already expired (a backfill, a replay of old data, `time: 0`).
 */
export const eventExpiresAt = (eventTimeSeconds: number, receivedAtMs: number, retentionSeconds: number): number =>
  Math.max(eventTimeSeconds, Math.floor(receivedAtMs / 1000)) + retentionSeconds;

/** Users whose directory facts are applied at once within one message. */
export const USER_CONCURRENCY = 8;

/** Runs `fn` over items with at most `limit` in flight; rejects with the first error after all settle. */
export const forEachLimited = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (errors.length > 0) throw errors[0];
};

/** Unpacks an event that travelled gzip-compressed and base64-encoded. */
export const unpackEvent = (packed: string): CurrentsEvent => currentsEventSchema.parse(JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')));

const isIdentityCommand = (event: CurrentsEvent) => event.event_type === USER_DELETE_REQUEST || event.event_type === USER_ORPHAN;

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

/** Processes one queued Currents message; safe to run again after any failure. */
export const processCurrentsMessage = async (deps: CurrentsWorkerDeps, message: CurrentsMessage): Promise<CurrentsStats> => {
  const nowMs = deps.clock.now();
  const now = new Date(nowMs).toISOString();
  const nowSeconds = Math.floor(nowMs / 1000);
  const workspaceId = message.workspaceId;
  const retentionSeconds = deps.retentionDays * DAY_SECONDS;
  const stats: CurrentsStats = { received: 0, duplicates: 0, stored: 0, rejects: 0, droppedForDeletedUser: 0, merges: 0, deletions: 0, directory: {} };

  if (message.rejects.length > 0) {
    const expiresAt = Math.floor(message.receivedAt / 1000) + retentionSeconds;
    await deps.events.putRejects(message.rejects.map((reject) => ({ workspaceId, receivedAt: message.receivedAt, batchId: message.batchId, reject, expiresAt })));
    stats.rejects = message.rejects.length;
  }

  const all = [...message.events, ...message.packed.map(unpackEvent)];
  stats.received = all.length;
  const unique = new Map<string, CurrentsEvent>();
  for (const event of all) if (!unique.has(event.id)) unique.set(event.id, event);
  const done = await deps.events.processed(workspaceId, [...unique.keys()], nowSeconds);
  const fresh = [...unique.values()].filter((event) => !done.has(event.id));
  stats.duplicates = all.length - fresh.length;
  if (fresh.length === 0) return stats;

  // Directory: ordinary facts first, one profile read for the whole message.
  const deleted = new Set<string>();
  const facts = collectFacts(fresh);
  const profiles = await deps.directory.getProfiles(workspaceId, [...facts.keys()]);
  // Users are independent, except those carrying the same external_id (an orphan merge may be
  // under way between them): those go one after the other, oldest fact first; groups run in parallel.
  const groups = new Map<string, UserFacts[]>();
  for (const entry of facts.values()) {
    const key = entry.externalId ? `ext:${entry.externalId.value}` : `id:${entry.brazeId}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  await forEachLimited([...groups.values()], USER_CONCURRENCY, async (group) => {
    group.sort((a, b) => (a.externalId?.time ?? 0) - (b.externalId?.time ?? 0));
    for (const entry of group) {
      const version = changeVersion(nowMs, `currents#${entry.externalId?.eventId ?? entry.brazeId}`);
      const outcome = await applyUserFacts(deps, workspaceId, entry, profiles.get(entry.brazeId), version, now);
      stats.directory[outcome] = (stats.directory[outcome] ?? 0) + 1;
      if (outcome === 'deleted') deleted.add(entry.brazeId);
    }
  });

  // Then merges and deletions, oldest first. Membership moves are versioned at processing time:
  // they win over every cohort change the hub received before, and lose to any received later.
  const commands = fresh.filter(isIdentityCommand).sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
  for (const event of commands) {
    const brazeId = userOf(event)?.user_id;
    if (!brazeId) continue;
    const version = changeVersion(nowMs, `currents#${event.id}`);
    if (event.event_type === USER_ORPHAN) {
      // The event's user is the orphaned profile; `orphaned_by_id` is the profile it was merged into.
      // The survivor exists in Braze even if the hub never saw it: start its profile here.
      const survivor = stringProperty(event, 'orphaned_by_id');
      if (!survivor) continue;
      await deps.directory.createProfile(workspaceId, survivor, now);
      if (await mergeProfiles(deps, workspaceId, brazeId, survivor, version, now)) stats.merges += 1;
    } else {
      await deleteProfile(deps, workspaceId, brazeId, event.time * 1000, version, now);
      await deps.events.deleteUserEvents(workspaceId, brazeId, (eventId) => eventId === event.id);
      deleted.add(brazeId);
      stats.deletions += 1;
    }
  }

  const expiresAtOf = (event: CurrentsEvent) => eventExpiresAt(event.time, message.receivedAt, retentionSeconds);
  const toStore = fresh.filter((event) => {
    const brazeId = userOf(event)?.user_id;
    const keep = brazeId === undefined || !deleted.has(brazeId) || event.event_type === USER_DELETE_REQUEST;
    if (!keep) stats.droppedForDeletedUser += 1;
    return keep;
  });
  await deps.events.putEvents(
    toStore.map((event) => ({ workspaceId, brazeId: userOf(event)?.user_id, event, receivedAt: message.receivedAt, expiresAt: expiresAtOf(event) })),
  );
  stats.stored = toStore.length;

  await deps.events.markProcessed(
    workspaceId,
    fresh.map((event) => event.id),
    nowSeconds + MARKER_DAYS * DAY_SECONDS,
    now,
  );
  return stats;
};
