/**
 * The Currents worker's storage of events for analysts (events table) and of per-event dedupe
 * markers (idempotency table): the `EventsPort` of domain/currents.ts. Reads are in event-reads.ts.
 * - event: pk `<ws>#U#<brazeId>` (`<ws>#U#-` for events without a user), sk `<time ms, 15 digits>#<eventId>`:
 *   "a user's events in a time range" is one Query; index byType: gsi1pk `<ws>#T#<event_type>#<YYYY-MM-DD>`,
 *   gsi1sk = sk: "events of a type in a time range" is one Query per UTC day (day shards keep a busy
 *   type from piling onto one index partition). `expiresAt` (epoch s) lets DynamoDB TTL expire them.
 *   The event itself is kept as its JSON text (`event`), or gzip-compressed (`eventGz`) when large,
 *   so every field comes back exactly as it was stored.
 * - reject: pk `<ws>#REJECTS`, sk `<receivedAt ms, 15 digits>#<batchId>#<index>`.
 * - marker: idempotency table, id `<ws>#currents-event#<eventId>`, `expiration` (epoch s).
 * Keys are deterministic, so re-storing an event after a crash overwrites the same item.
 */
import { gzipSync, gunzipSync } from 'node:zlib';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CurrentsEvent, CurrentsReject } from '../schemas/currents';
import { batchGetAll } from './dynamo/batch-get';
import { batchWriteAll, deleteRequests, putRequests } from './dynamo/batch-write';
import { decodeAll, eventKeyItem, eventMarkerItem } from './dynamo/items';
import { currentsEventMarkerId, currentsRejectKey, eventSk, typeDayPk, userEventsPk, utcDay } from './dynamo/keys';
import { forEachPage } from './dynamo/query';
import type { EventsPort } from '../domain/ports';

export interface EventTables {
  readonly events: string;
  readonly idempotency: string;
}

/** Items above this are stored compressed (DynamoDB's item limit is 400 KB). */
const COMPRESS_ABOVE_BYTES = 100_000;

export interface EventToStore {
  readonly workspaceId: string;
  readonly brazeId: string | undefined;
  readonly event: CurrentsEvent;
  readonly receivedAt: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface RejectToStore {
  readonly workspaceId: string;
  readonly receivedAt: number;
  readonly batchId: string;
  readonly reject: CurrentsReject;
  readonly expiresAt: number;
}

/** DynamoDB request counts, so benchmarks can compare them with the ideal. */
export interface EventStoreCounter {
  batchWrite: number;
  batchGet: number;
  unprocessedRetries: number;
}

export const eventItem = (input: EventToStore): Record<string, unknown> => {
  const timeMs = input.event.time * 1000;
  const text = JSON.stringify(input.event);
  const body = Buffer.byteLength(text, 'utf8') > COMPRESS_ABOVE_BYTES ? { eventGz: gzipSync(text) } : { event: text };
  return {
    pk: userEventsPk(input.workspaceId, input.brazeId),
    sk: eventSk(timeMs, input.event.id),
    gsi1pk: typeDayPk(input.workspaceId, input.event.event_type, utcDay(timeMs)),
    gsi1sk: eventSk(timeMs, input.event.id),
    workspaceId: input.workspaceId,
    eventId: input.event.id,
    eventType: input.event.event_type,
    time: input.event.time,
    ...(input.brazeId !== undefined ? { brazeId: input.brazeId } : {}),
    receivedAt: input.receivedAt,
    expiresAt: input.expiresAt,
    ...body,
  };
};

/** The stored event object back from an item. */
export const itemEvent = (item: Record<string, unknown>): unknown => {
  if (typeof item.event === 'string') return JSON.parse(item.event);
  if (item.eventGz instanceof Uint8Array) return JSON.parse(gunzipSync(item.eventGz).toString('utf8'));
  return undefined;
};

const rejectItem = (entry: RejectToStore): Record<string, unknown> => ({
  ...currentsRejectKey(entry.workspaceId, entry.receivedAt, entry.batchId, entry.reject.index),
  workspaceId: entry.workspaceId,
  receivedAt: entry.receivedAt,
  index: entry.reject.index,
  reason: entry.reject.reason,
  raw: entry.reject.raw,
  ...(entry.reject.truncated ? { truncated: true } : {}),
  expiresAt: entry.expiresAt,
});

/** One item per key: DynamoDB refuses two requests for one key in a batch, the last one wins. */
const uniqueByKey = (items: Record<string, unknown>[]): Record<string, unknown>[] => [
  ...new Map(items.map((item) => [`${String(item.pk)}\n${String(item.sk)}`, item])).values(),
];

/** The event ids of this workspace already processed (their marker exists and has not expired). */
const processed = async (db: DynamoDBDocumentClient, table: string, counter: EventStoreCounter, workspaceId: string, eventIds: readonly string[], nowSeconds: number) => {
  const keys = [...new Set(eventIds)].map((id) => ({ id: currentsEventMarkerId(workspaceId, id) }));
  const markers = decodeAll(eventMarkerItem, await batchGetAll(db, table, keys, { consistency: 'strong', counter }));
  const done = new Set<string>();
  for (const marker of markers) {
    // TTL deletion lags expiry by up to days: an expired marker counts as absent.
    if (marker.expiration !== undefined && marker.expiration <= nowSeconds) continue;
    if (marker.eventId !== undefined) done.add(marker.eventId);
  }
  return done;
};

const markerItem = (workspaceId: string, eventId: string, expiration: number, now: string) => ({
  id: currentsEventMarkerId(workspaceId, eventId),
  eventId,
  status: 'COMPLETED',
  processedAt: now,
  expiration,
});

/** Deletes a user's stored events (a deletion request), except those `keep` names; returns how many. */
const deleteUserEvents = async (db: DynamoDBDocumentClient, table: string, counter: EventStoreCounter, workspaceId: string, brazeId: string, keep: (eventId: string) => boolean) => {
  let deleted = 0;
  const query = { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': userEventsPk(workspaceId, brazeId) }, ProjectionExpression: 'pk, sk, eventId' };
  await forEachPage(db, query, async (items) => {
    const doomed = decodeAll(eventKeyItem, items).filter((item) => !keep(item.eventId));
    await batchWriteAll(db, table, deleteRequests(doomed.map(({ pk, sk }) => ({ pk, sk }))), counter);
    deleted += doomed.length;
  });
  return deleted;
};

export const dynamoEventStore = (
  db: DynamoDBDocumentClient,
  tables: EventTables,
  counter: EventStoreCounter = { batchWrite: 0, batchGet: 0, unprocessedRetries: 0 },
) =>
  ({
    counter,
    putEvents: (events: readonly EventToStore[]) => batchWriteAll(db, tables.events, putRequests(uniqueByKey(events.map(eventItem))), counter),
    putRejects: (rejects: readonly RejectToStore[]) => batchWriteAll(db, tables.events, putRequests(rejects.map(rejectItem)), counter),
    processed: (workspaceId: string, eventIds: readonly string[], nowSeconds: number) => processed(db, tables.idempotency, counter, workspaceId, eventIds, nowSeconds),
    markProcessed: (workspaceId: string, eventIds: readonly string[], expiration: number, now: string) =>
      batchWriteAll(db, tables.idempotency, putRequests([...new Set(eventIds)].map((eventId) => markerItem(workspaceId, eventId, expiration, now))), counter),
    deleteUserEvents: (workspaceId: string, brazeId: string, keep: (eventId: string) => boolean = () => false) =>
      deleteUserEvents(db, tables.events, counter, workspaceId, brazeId, keep),
  }) satisfies EventsPort & Record<string, unknown>;

export type EventStore = ReturnType<typeof dynamoEventStore>;
