/**
 * The Currents archive's objects (docs/currents.md "Full history"): the events of one queued message,
 * grouped by UTC day of the event's time and by event type, each group one gzip-compressed JSON-lines
 * object at `currents/dt=<YYYY-MM-DD>/type=<event type>/<message id>.json.gz`. The message id is a
 * digest of the message's dedupeKey (itself a digest of workspace and content), and lines are sorted
 * by time and id: a redelivered message — or Braze re-sending the same batch — writes the same keys
 * with the same bytes, so the archive holds one copy of each delivery. An event Braze sent again in a
 * different batch lands in another object: analysts dedupe by `id` (the view in docs/athena.sql).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ArchiveObject, EventArchive } from './ports';
import { ARCHIVE_PREFIX } from '../shared/definitions/buckets';
import { userOf, type CurrentsEvent } from '../schemas/currents';

export { ARCHIVE_PREFIX };

/** Types that are safe and short as a key segment and an Athena partition value; others go to `type=_other` (the line keeps the real type). */
const PLAIN_TYPE = /^[A-Za-z0-9._-]{1,200}$/;
export const OTHER_TYPE = '_other';

/** One archived line: the event's exact JSON text plus the columns analysts filter on. */
export interface ArchiveLine {
  readonly workspace_id: string;
  readonly id: string;
  readonly event_type: string;
  readonly time: number;
  readonly braze_id?: string;
  readonly received_at: number;
  readonly event: string;
}

/** The UTC day of an event time (epoch s), `YYYY-MM-DD`; times outside Date's range fall back to the epoch's day. */
export const archiveDay = (timeSeconds: number): string => {
  const date = new Date(timeSeconds * 1000);
  return Number.isNaN(date.getTime()) ? '1970-01-01' : date.toISOString().slice(0, 10);
};

export const archiveType = (eventType: string): string => (PLAIN_TYPE.test(eventType) ? eventType : OTHER_TYPE);

/** The object name part shared by all of one message's objects: a digest of its dedupeKey. */
export const archiveMessageId = (dedupeKey: string): string => createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32);

export const archiveKey = (day: string, type: string, messageId: string): string => `${ARCHIVE_PREFIX}dt=${day}/type=${type}/${messageId}.json.gz`;

const lineOf = (workspaceId: string, receivedAt: number, event: CurrentsEvent): ArchiveLine => {
  const brazeId = userOf(event)?.user_id;
  return {
    workspace_id: workspaceId,
    id: event.id,
    event_type: event.event_type,
    time: event.time,
    ...(brazeId !== undefined ? { braze_id: brazeId } : {}),
    received_at: receivedAt,
    event: JSON.stringify(event),
  };
};

/** The archive objects of one message's events (deterministic: same message, same keys and bytes). */
export const archiveObjects = (message: { dedupeKey: string; workspaceId: string; receivedAt: number }, events: readonly CurrentsEvent[]): ArchiveObject[] => {
  const messageId = archiveMessageId(message.dedupeKey);
  const groups = new Map<string, CurrentsEvent[]>();
  for (const event of events) {
    const key = archiveKey(archiveDay(event.time), archiveType(event.event_type), messageId);
    const group = groups.get(key);
    if (group) group.push(event);
    else groups.set(key, [event]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, group]) => {
      const sorted = [...group].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const text = sorted.map((event) => JSON.stringify(lineOf(message.workspaceId, message.receivedAt, event))).join('\n');
      return { key, body: gzipSync(`${text}\n`) };
    });
};

/** Writes one message's events to the archive (nothing for an empty list). */
export const archiveEvents = async (archive: EventArchive, message: { dedupeKey: string; workspaceId: string; receivedAt: number }, events: readonly CurrentsEvent[]): Promise<number> => {
  if (events.length === 0) return 0;
  const objects = archiveObjects(message, events);
  await archive.append(objects);
  return objects.length;
};
