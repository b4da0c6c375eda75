/**
 * Reads of the events table for the events API: a user's events, a type's events (index byType,
 * one UTC day shard at a time), and the Currents rejects, newest first (Heap rejects: heap-rejects.ts). Items come back
 * as stored; `itemEvent` (events-store.ts) recovers the event itself.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeAll, rejectItem } from './dynamo/items';
import { currentsRejectsPk, eventSkRange, typeDayPk, userEventsPk } from './dynamo/keys';
import { queryPage, type StartKey } from './dynamo/query';

export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** One page of a user's events in [fromMs, toMs), oldest first, optionally of one type. */
const userEvents = (db: DynamoDBDocumentClient, table: string, workspaceId: string, brazeId: string, range: TimeRange & { type?: string }, limit: number, startKey?: StartKey) => {
  const sk = eventSkRange(range.fromMs, range.toMs);
  const typed = range.type !== undefined;
  return queryPage(
    db,
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': userEventsPk(workspaceId, brazeId), ':from': sk.from, ':to': sk.to, ...(typed ? { ':type': range.type } : {}) },
      ...(typed ? { FilterExpression: 'eventType = :type' } : {}),
    },
    limit,
    startKey,
  );
};

/** One UTC day's events of one type in [fromMs, toMs), oldest first (index byType). */
const typeEvents = (db: DynamoDBDocumentClient, table: string, workspaceId: string, eventType: string, day: string, range: TimeRange, limit: number, startKey?: StartKey) => {
  const sk = eventSkRange(range.fromMs, range.toMs);
  return queryPage(
    db,
    {
      TableName: table,
      IndexName: 'byType',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': typeDayPk(workspaceId, eventType, day), ':from': sk.from, ':to': sk.to },
    },
    limit,
    startKey,
  );
};

/** One page of a rejects partition (Currents or Heap), newest first. */
export const rejectsPage = async (db: DynamoDBDocumentClient, table: string, pk: string, limit: number, startKey?: StartKey) => {
  const page = await queryPage(db, { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ScanIndexForward: false }, limit, startKey);
  // Validated here; still typed as plain items while the events API handler reads them with its own casts.
  const items: Record<string, unknown>[] = decodeAll(rejectItem, page.items);
  return { items, nextKey: page.nextKey };
};

export const dynamoEventReads = (db: DynamoDBDocumentClient, table: string) => ({
  userEvents: (workspaceId: string, brazeId: string, range: TimeRange & { type?: string }, limit: number, startKey?: StartKey) =>
    userEvents(db, table, workspaceId, brazeId, range, limit, startKey),
  typeEvents: (workspaceId: string, eventType: string, day: string, range: TimeRange, limit: number, startKey?: StartKey) =>
    typeEvents(db, table, workspaceId, eventType, day, range, limit, startKey),
  /** Refused Currents events, newest first. */
  rejects: (workspaceId: string, limit: number, startKey?: StartKey) => rejectsPage(db, table, currentsRejectsPk(workspaceId), limit, startKey),
});

export type EventReads = ReturnType<typeof dynamoEventReads>;
