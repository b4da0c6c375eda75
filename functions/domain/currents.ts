/**
 * The Currents worker's logic for one queued message:
 * 1. rejects are stored in the rejects store;
 * 2. repeats within the message are dropped, and every event is written to the archive (the full
 *    history for analysts: domain/event-archive.ts, deterministic objects per message);
 * 3. the directory learns from the `user` blocks (domain/currents-directory.ts: one batched profile
 *    read per message, writes only for new facts, batched where they can be), then merges
 *    (users.UserOrphan) and deletions (users.UserDeleteRequest) run in
 *    event-time order — those two alone are skipped when already processed (a marker per event id);
 * 4. events are stored in the hot window (BatchWriteItem, 25 a call, TTL `hotDays`) — except late
 *    events of a deleted user;
 * 5. the identity commands' markers are written last, so a crash before them means a harmless redo.
 *
 * Why only identity commands get markers: storing an event overwrites the item keyed by its id, an
 * archive object is rewritten with the same bytes, and the directory facts are conditional and
 * monotonic (claims, `identityVersion`, renames only by a newer event), so running an ordinary event
 * twice changes nothing. A merge or a deletion moves and removes memberships with a version taken at
 * processing time (`changeVersion(nowMs, …)`): re-run days later it would outrank cohort changes
 * received in between, so it must run once.
 */
import { gunzipSync } from 'node:zlib';
import { isIdentityCommand, learnUserFacts } from './currents-directory';
import { deleteProfile, mergeProfiles, type DirectoryDeps, type FactsOutcome } from './directory';
import { changeVersion } from './membership';
import { archiveEvents } from './event-archive';
import type { Clock, EventArchive, EventsPort } from './ports';
import { currentsEventSchema, stringProperty, userOf, USER_DELETE_REQUEST, USER_ORPHAN, type CurrentsEvent, type CurrentsMessage } from '../schemas/currents';

export { USER_DELETE_REQUEST, USER_ORPHAN } from '../schemas/currents';
export { collectFacts, USER_CONCURRENCY } from './currents-directory';

/** Identity command markers outlive Braze's 5 days of retries plus 7 days of its retention. */
export const MARKER_DAYS = 14;
const DAY_SECONDS = 86_400;

export interface CurrentsWorkerDeps extends DirectoryDeps {
  readonly events: EventsPort;
  readonly archive: EventArchive;
  readonly clock: Clock;
  /** Days events and rejects stay in DynamoDB (`EVENT_HOT_DAYS`); the archive keeps everything. */
  readonly hotDays: number;
}

export interface CurrentsStats {
  received: number;
  duplicates: number;
  stored: number;
  rejects: number;
  droppedForDeletedUser: number;
  archiveObjects: number;
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

/** Unpacks an event that travelled gzip-compressed and base64-encoded. */
export const unpackEvent = (packed: string): CurrentsEvent => currentsEventSchema.parse(JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')));

/** One message's processing: its deps, the workspace, one reading of the clock, and the stats being filled. */
interface MessageRun {
  readonly deps: CurrentsWorkerDeps;
  readonly message: CurrentsMessage;
  readonly workspaceId: string;
  readonly nowMs: number;
  /** `nowMs` as ISO-8601: the time written on directory items. */
  readonly now: string;
  readonly nowSeconds: number;
  readonly retentionSeconds: number;
  readonly stats: CurrentsStats;
  /** Braze ids deleted by this message (by a fact or a users.UserDeleteRequest). */
  readonly deleted: Set<string>;
}

const startRun = (deps: CurrentsWorkerDeps, message: CurrentsMessage): MessageRun => {
  const nowMs = deps.clock.now();
  return {
    deps,
    message,
    workspaceId: message.workspaceId,
    nowMs,
    now: new Date(nowMs).toISOString(),
    nowSeconds: Math.floor(nowMs / 1000),
    retentionSeconds: deps.hotDays * DAY_SECONDS,
    stats: { received: 0, duplicates: 0, stored: 0, rejects: 0, droppedForDeletedUser: 0, archiveObjects: 0, merges: 0, deletions: 0, directory: {} },
    deleted: new Set(),
  };
};

/** Step 1: the message's rejects go to the rejects store, kept for the retention period from receipt. */
const storeRejects = async (run: MessageRun): Promise<void> => {
  const { message, workspaceId } = run;
  if (message.rejects.length === 0) return;
  const expiresAt = Math.floor(message.receivedAt / 1000) + run.retentionSeconds;
  await run.deps.events.putRejects(message.rejects.map((reject) => ({ workspaceId, receivedAt: message.receivedAt, batchId: message.batchId, reject, expiresAt })));
  run.stats.rejects = message.rejects.length;
};

/**
 * Step 2: the message's events (unpacked) minus repeats within it, all archived, minus identity
 * commands already processed (the only events with markers).
 */
const freshEvents = async (run: MessageRun): Promise<CurrentsEvent[]> => {
  const all = [...run.message.events, ...run.message.packed.map(unpackEvent)];
  run.stats.received = all.length;
  const unique = new Map<string, CurrentsEvent>();
  for (const event of all) if (!unique.has(event.id)) unique.set(event.id, event);
  run.stats.archiveObjects = await archiveEvents(run.deps.archive, run.message, [...unique.values()]);
  const commands = [...unique.values()].filter(isIdentityCommand).map((event) => event.id);
  const done = commands.length > 0 ? await run.deps.events.processed(run.workspaceId, commands, run.nowSeconds) : new Set<string>();
  const fresh = [...unique.values()].filter((event) => !done.has(event.id));
  run.stats.duplicates = all.length - fresh.length;
  return fresh;
};

/** A users.UserOrphan: the event's user is the orphan, `orphaned_by_id` the profile it was merged into. */
const applyOrphan = async (run: MessageRun, event: CurrentsEvent, orphan: string, version: string): Promise<void> => {
  // The survivor exists in Braze even if the hub never saw it: start its profile here.
  const survivor = stringProperty(event, 'orphaned_by_id');
  if (!survivor) return;
  await run.deps.directory.createProfile(run.workspaceId, survivor, run.now);
  if (await mergeProfiles(run.deps, run.workspaceId, orphan, survivor, version, run.now)) run.stats.merges += 1;
};

/** A users.UserDeleteRequest: tombstone, claims and memberships gone, stored events deleted but this one. */
const applyDeletion = async (run: MessageRun, event: CurrentsEvent, brazeId: string, version: string): Promise<void> => {
  await deleteProfile(run.deps, run.workspaceId, brazeId, event.time * 1000, version, run.now);
  await run.deps.events.deleteUserEvents(run.workspaceId, brazeId, (eventId) => eventId === event.id);
  run.deleted.add(brazeId);
  run.stats.deletions += 1;
};

/**
 * Step 3b: merges and deletions, oldest first. Membership moves are versioned at processing time:
 * they win over every cohort change the hub received before, and lose to any received later.
 */
const applyIdentityCommands = async (run: MessageRun, fresh: readonly CurrentsEvent[]): Promise<void> => {
  const commands = fresh.filter(isIdentityCommand).sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
  for (const event of commands) {
    const brazeId = userOf(event)?.user_id;
    if (!brazeId) continue;
    const version = changeVersion(run.nowMs, `currents#${event.id}`);
    if (event.event_type === USER_ORPHAN) await applyOrphan(run, event, brazeId, version);
    else await applyDeletion(run, event, brazeId, version);
  }
};

/** Step 4: the events are stored, except late events of a user this message deleted. */
const storeEvents = async (run: MessageRun, fresh: readonly CurrentsEvent[]): Promise<void> => {
  const { message, workspaceId, stats } = run;
  const toStore = fresh.filter((event) => {
    const brazeId = userOf(event)?.user_id;
    const keep = brazeId === undefined || !run.deleted.has(brazeId) || event.event_type === USER_DELETE_REQUEST;
    if (!keep) stats.droppedForDeletedUser += 1;
    return keep;
  });
  const expiresAtOf = (event: CurrentsEvent) => eventExpiresAt(event.time, message.receivedAt, run.retentionSeconds);
  await run.deps.events.putEvents(
    toStore.map((event) => ({ workspaceId, brazeId: userOf(event)?.user_id, event, receivedAt: message.receivedAt, expiresAt: expiresAtOf(event) })),
  );
  stats.stored = toStore.length;
};

/** Step 5: the identity commands' markers, last — a crash before them means a harmless redo. */
const markProcessed = async (run: MessageRun, fresh: readonly CurrentsEvent[]): Promise<void> => {
  const commands = fresh.filter(isIdentityCommand).map((event) => event.id);
  if (commands.length === 0) return;
  await run.deps.events.markProcessed(run.workspaceId, commands, run.nowSeconds + MARKER_DAYS * DAY_SECONDS, run.now);
};

/** Processes one queued Currents message; safe to run again after any failure. */
export const processCurrentsMessage = async (deps: CurrentsWorkerDeps, message: CurrentsMessage): Promise<CurrentsStats> => {
  const run = startRun(deps, message);
  await storeRejects(run);
  const fresh = await freshEvents(run);
  if (fresh.length === 0) return run.stats;
  await learnUserFacts(run, fresh);
  await applyIdentityCommands(run, fresh);
  await storeEvents(run, fresh);
  await markProcessed(run, fresh);
  return run.stats;
};
