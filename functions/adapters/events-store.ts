/**
 * DynamoDB storage of Currents events for analysts (events table) and the per-event dedupe markers
 * (idempotency table).
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
import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll } from './dynamo/batch-write';
import type { CurrentsEvent, CurrentsReject } from '../schemas/currents';

export interface EventTables {
  readonly events: string;
  readonly idempotency: string;
}

/** BatchGetItem takes 100 keys a call. */
const BATCH_GET_LIMIT = 100;
/** Items above this are stored compressed (DynamoDB's item limit is 400 KB). */
const COMPRESS_ABOVE_BYTES = 100_000;

export const padMs = (ms: number): string => Math.max(0, Math.floor(ms)).toString().padStart(15, '0');
export const userEventsPk = (workspaceId: string, brazeId: string | undefined): string => `${workspaceId}#U#${brazeId ?? '-'}`;
export const eventSk = (timeMs: number, eventId: string): string => `${padMs(timeMs)}#${eventId}`;
export const typeDayPk = (workspaceId: string, eventType: string, day: string): string => `${workspaceId}#T#${eventType}#${day}`;
export const rejectsPk = (workspaceId: string): string => `${workspaceId}#REJECTS`;
export const markerId = (workspaceId: string, eventId: string): string => `${workspaceId}#currents-event#${eventId}`;
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

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

export const eventStore = (
  db: DynamoDBDocumentClient,
  tables: EventTables,
  counter: EventStoreCounter = { batchWrite: 0, batchGet: 0, unprocessedRetries: 0 },
) => {
  const batchWrite = (table: string, requests: Record<string, unknown>[]) => batchWriteAll(db, table, requests, counter);

  /** Writes distinct-key requests; duplicates within one call are refused by DynamoDB, so de-dupe by key. */
  const uniqueByKey = (items: Record<string, unknown>[], key: (item: Record<string, unknown>) => string) => {
    const byKey = new Map<string, Record<string, unknown>>();
    for (const item of items) byKey.set(key(item), item);
    return [...byKey.values()];
  };

  return {
    counter,

    async putEvents(events: readonly EventToStore[]): Promise<void> {
      const items = uniqueByKey(events.map(eventItem), (item) => `${item.pk as string}\n${item.sk as string}`);
      await batchWrite(tables.events, items.map((Item) => ({ PutRequest: { Item } })));
    },

    async putRejects(rejects: readonly RejectToStore[]): Promise<void> {
      const items = rejects.map((entry) => ({
        pk: rejectsPk(entry.workspaceId),
        sk: `${padMs(entry.receivedAt)}#${entry.batchId}#${entry.reject.index.toString().padStart(6, '0')}`,
        workspaceId: entry.workspaceId,
        receivedAt: entry.receivedAt,
        index: entry.reject.index,
        reason: entry.reject.reason,
        raw: entry.reject.raw,
        ...(entry.reject.truncated ? { truncated: true } : {}),
        expiresAt: entry.expiresAt,
      }));
      await batchWrite(tables.events, items.map((Item) => ({ PutRequest: { Item } })));
    },

    /** The event ids of this workspace already processed (their marker exists and has not expired). */
    async processed(workspaceId: string, eventIds: readonly string[], nowSeconds: number): Promise<Set<string>> {
      const done = new Set<string>();
      const unique = [...new Set(eventIds)];
      for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
        let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
          [tables.idempotency]: { Keys: unique.slice(start, start + BATCH_GET_LIMIT).map((id) => ({ id: markerId(workspaceId, id) })), ConsistentRead: true },
        };
        while (request && Object.keys(request).length > 0) {
          counter.batchGet += 1;
          const result = await db.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of result.Responses?.[tables.idempotency] ?? []) {
            // TTL deletion lags expiry by up to days: an expired marker counts as absent.
            if (typeof item.expiration === 'number' && item.expiration <= nowSeconds) continue;
            if (typeof item.eventId === 'string') done.add(item.eventId);
          }
          request = result.UnprocessedKeys as typeof request;
        }
      }
      return done;
    },

    async markProcessed(workspaceId: string, eventIds: readonly string[], expiration: number, now: string): Promise<void> {
      const unique = [...new Set(eventIds)];
      await batchWrite(
        tables.idempotency,
        unique.map((eventId) => ({ PutRequest: { Item: { id: markerId(workspaceId, eventId), eventId, status: 'COMPLETED', processedAt: now, expiration } } })),
      );
    },

    /** Deletes a user's stored events (a deletion request), except those `keep` names; returns how many. */
    async deleteUserEvents(workspaceId: string, brazeId: string, keep: (eventId: string) => boolean = () => false): Promise<number> {
      let deleted = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await db.send(
          new QueryCommand({
            TableName: tables.events,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': userEventsPk(workspaceId, brazeId) },
            ProjectionExpression: 'pk, sk, eventId',
            ExclusiveStartKey: startKey,
          }),
        );
        const doomed = (result.Items ?? []).filter((item) => !keep(item.eventId as string));
        await batchWrite(tables.events, doomed.map((item) => ({ DeleteRequest: { Key: { pk: item.pk as string, sk: item.sk as string } } })));
        deleted += doomed.length;
        startKey = result.LastEvaluatedKey;
      } while (startKey);
      return deleted;
    },

    /** One page of a user's events in [fromMs, toMs), oldest first, optionally of one type. */
    async userEvents(
      workspaceId: string,
      brazeId: string,
      range: { fromMs: number; toMs: number; type?: string },
      limit: number,
      startKey?: Record<string, unknown>,
    ) {
      const result = await db.send(
        new QueryCommand({
          TableName: tables.events,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': userEventsPk(workspaceId, brazeId),
            ':from': padMs(range.fromMs),
            // Every sk of a time below toMs sorts before `<toMs padded>` followed by '#'.
            ':to': padMs(range.toMs - 1) + '#\uffff',
            ...(range.type !== undefined ? { ':type': range.type } : {}),
          },
          ...(range.type !== undefined ? { FilterExpression: 'eventType = :type' } : {}),
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      return { items: result.Items ?? [], nextKey: result.LastEvaluatedKey };
    },

    /** One UTC day's events of one type in [fromMs, toMs), oldest first (index byType). */
    async typeEvents(workspaceId: string, eventType: string, day: string, range: { fromMs: number; toMs: number }, limit: number, startKey?: Record<string, unknown>) {
      const result = await db.send(
        new QueryCommand({
          TableName: tables.events,
          IndexName: 'byType',
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': typeDayPk(workspaceId, eventType, day),
            ':from': padMs(range.fromMs),
            ':to': padMs(range.toMs - 1) + '#\uffff',
          },
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      return { items: result.Items ?? [], nextKey: result.LastEvaluatedKey };
    },

    /** One page of the rejects store, newest first. */
    async rejects(workspaceId: string, limit: number, startKey?: Record<string, unknown>) {
      const result = await db.send(
        new QueryCommand({
          TableName: tables.events,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': rejectsPk(workspaceId) },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      return { items: result.Items ?? [], nextKey: result.LastEvaluatedKey };
    },
  };
};

export type EventStore = ReturnType<typeof eventStore>;
