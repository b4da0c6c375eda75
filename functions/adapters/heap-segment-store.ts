/**
 * DynamoDB side of Heap segments (cohorts table), next to the membership items:
 * - the segment's META item (shared layout with the membership store) also carries the segment
 *   name, `syncVersion` (newest page that updated it), `lastSync` (run id, time, pages seen of
 *   total) and `drainVersion`;
 * - `<set pk>` / `SYNC#<sync_task_id>`: one item per sync run with the string set of page parts
 *   applied (`<page>:<part>/<parts>`), so a run's progress is visible (pages seen of `total_pages`).
 */
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HeapSegmentStore } from '../domain/heap-segments';
import { memberSk, setListPk, setPk } from './membership-store';

const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/** SET clauses that make a META item a listed segment (same attributes as `upsertSet`). */
const listedSetClauses =
  'workspaceId = :ws, setKind = :kind, setId = :sid, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, memberCount = if_not_exists(memberCount, :zero), gsi1pk = :list, gsi1sk = :sid';

/** `<page>:<part>/<parts>`: one entry per applied queue message of a page. */
const partToken = (page: number, part: number, parts: number) => `${page}:${part}/${parts}`;

/** Pages whose every part has been applied. */
export const completePages = (parts: ReadonlySet<string>): number => {
  const seen = new Map<string, { parts: number; applied: Set<string> }>();
  for (const token of parts) {
    const match = /^(\d+):(\d+)\/(\d+)$/.exec(token);
    if (!match) continue;
    const [, page = '', part = '', total = ''] = match;
    const entry = seen.get(page) ?? { parts: Number(total), applied: new Set<string>() };
    entry.applied.add(part);
    seen.set(page, entry);
  }
  return [...seen.values()].filter((entry) => entry.applied.size >= entry.parts).length;
};

export const dynamoHeapSegmentStore = (db: DynamoDBDocumentClient, table: string): HeapSegmentStore => ({
  async recordSyncPage(set, page) {
    const pk = setPk(set);
    // ADD to a string set is idempotent: a part applied twice is counted once. A page counts as
    // seen once all of its parts (queue messages) are applied.
    const run = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: `SYNC#${page.syncTaskId}` },
        UpdateExpression:
          'ADD partsApplied :part SET syncTaskId = :task, totalPages = :total, firstPageAt = if_not_exists(firstPageAt, :at), lastPageAt = :at, workspaceId = :ws, setId = :sid',
        ExpressionAttributeValues: {
          ':part': new Set([partToken(page.pageNumber, page.part, page.parts)]),
          ':task': page.syncTaskId,
          ':total': page.totalPages,
          ':at': page.receivedAt,
          ':ws': set.workspaceId,
          ':sid': set.setId,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const pagesSeen = completePages((run.Attributes?.partsApplied as Set<string> | undefined) ?? new Set());
    const lastSync = { syncTaskId: page.syncTaskId, at: page.receivedAt, pagesSeen, totalPages: page.totalPages };
    const values = {
      ':ws': set.workspaceId,
      ':kind': set.kind,
      ':sid': set.setId,
      ':now': page.now,
      ':zero': 0,
      ':list': setListPk(set.workspaceId, set.kind),
      ':v': page.version,
      ':last': lastSync,
      ...(page.name !== undefined ? { ':name': page.name } : {}),
    };
    try {
      // Only the newest page sets the name and lastSync: a late retry of an older page (or an older
      // run) must not rename the segment back or move "last sync" backwards.
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: 'META' },
          UpdateExpression: `SET ${listedSetClauses}, syncVersion = :v, lastSync = :last${page.name !== undefined ? ', #name = :name' : ''}`,
          ConditionExpression: 'attribute_not_exists(syncVersion) OR syncVersion <= :v',
          ...(page.name !== undefined ? { ExpressionAttributeNames: { '#name': 'name' } } : {}),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A newer page of the same run was recorded first: only the page count may still grow.
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk, sk: 'META' },
            UpdateExpression: 'SET lastSync.pagesSeen = :n',
            ConditionExpression: 'lastSync.syncTaskId = :task AND lastSync.pagesSeen < :n',
            ExpressionAttributeValues: { ':n': pagesSeen, ':task': page.syncTaskId },
          }),
        );
      } catch (inner) {
        if (!isConditionFailure(inner)) throw inner;
      }
    }
  },

  async recordDrain(set, drain) {
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: setPk(set), sk: 'META' },
          // A drain names a segment only if it has no name yet; renames follow sync pages.
          UpdateExpression: `SET ${listedSetClauses}, drainVersion = :v, lastDrainAt = :at${drain.name !== undefined ? ', #name = if_not_exists(#name, :name)' : ''}`,
          ConditionExpression: 'attribute_not_exists(drainVersion) OR drainVersion < :v',
          ...(drain.name !== undefined ? { ExpressionAttributeNames: { '#name': 'name' } } : {}),
          ExpressionAttributeValues: {
            ':ws': set.workspaceId,
            ':kind': set.kind,
            ':sid': set.setId,
            ':now': drain.now,
            ':zero': 0,
            ':list': setListPk(set.workspaceId, set.kind),
            ':v': drain.version,
            ':at': drain.receivedAt,
            ...(drain.name !== undefined ? { ':name': drain.name } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  },

  async currentMembers(set, limit, startKey) {
    // The base table (not the bySet index) with ConsistentRead: a drain must see every member
    // written so far; GSIs are eventually consistent. Tombstones are filtered out (Limit counts
    // items read before the filter, so a page may hold fewer than `limit` ids).
    const result = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :member)',
        FilterExpression: '#status = :isMember',
        ProjectionExpression: 'memberId',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': setPk(set), ':member': memberSk(''), ':isMember': 'member' },
        ConsistentRead: true,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      memberIds: (result.Items ?? []).map((item) => item.memberId as string),
      ...(result.LastEvaluatedKey ? { nextKey: result.LastEvaluatedKey } : {}),
    };
  },
});
