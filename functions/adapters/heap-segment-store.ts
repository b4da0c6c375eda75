/**
 * DynamoDB side of Heap segments (cohorts table), next to the membership items:
 * - the segment's META item (shared layout with the membership store) also carries the segment
 *   name, `syncVersion` (newest page that updated it), `lastSync` (run id, time, pages seen of
 *   total) and `drainVersion`;
 * - `<set pk>` / `SYNC#<sync_task_id>`: one item per sync run with the string set of page parts
 *   applied (`<page>:<part>/<parts>`), so a run's progress is visible (pages seen of `total_pages`).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SetRef } from '../domain/membership';
import { whenCondition } from './dynamo/conditions';
import { decodeAll, memberIdItem, syncRunItem } from './dynamo/items';
import { MEMBER_SHARDS, setListPk, setMetaKey, syncRunKey } from './dynamo/keys';
import type { StartKey } from './dynamo/query';
import { runBusyQueue, type StepOutcome } from './dynamo/busy-queue';
import { membersPage } from './member-partitions';
import { letGo, newRequestCounter, withPartition, type Lease, type RequestCounter } from './membership-shard';
import { systemClock, type Clock, type HeapSegmentStore } from '../domain/ports';

/** Busy answers one partition's floor raise may get before the drain gives up (the drain message then fails and is retried). */
const MAX_FLOOR_ATTEMPTS = 200;

/** What the drain's partition holds need: the table, the lease, and where requests are counted. */
interface StoreContext {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly lease: Lease;
  readonly counter: RequestCounter;
}

type SyncPage = Parameters<HeapSegmentStore['recordSyncPage']>[1];
type Drain = Parameters<HeapSegmentStore['recordDrain']>[1];

/** SET clauses that make a META item a listed segment (same attributes as `upsertSet`). */
const listedSetClauses =
  'workspaceId = :ws, setKind = :kind, setId = :sid, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, memberCount = if_not_exists(memberCount, :zero), gsi1pk = :list, gsi1sk = :sid';

const listedSetValues = (set: SetRef, now: string) => ({
  ':ws': set.workspaceId,
  ':kind': set.kind,
  ':sid': set.setId,
  ':now': now,
  ':zero': 0,
  ':list': setListPk(set.workspaceId, set.kind),
});

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

/**
 * Adds the page part to its run's item and returns how many pages of the run are complete. ADD to
 * a string set is idempotent: a part applied twice is counted once.
 */
const recordRunPart = async (db: DynamoDBDocumentClient, table: string, set: SetRef, page: SyncPage): Promise<number> => {
  const run = await db.send(
    new UpdateCommand({
      TableName: table,
      Key: syncRunKey(set, page.syncTaskId),
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
  return completePages(syncRunItem.parse(run.Attributes ?? {}).partsApplied ?? new Set());
};

/**
 * Only the newest page sets the name and lastSync: a late retry of an older page (or an older run)
 * must not rename the segment back or move "last sync" backwards. Then only the page count of the
 * same run may still grow.
 */
const recordSyncPage = async (db: DynamoDBDocumentClient, table: string, set: SetRef, page: SyncPage): Promise<void> => {
  const pagesSeen = await recordRunPart(db, table, set, page);
  const lastSync = { syncTaskId: page.syncTaskId, at: page.receivedAt, pagesSeen, totalPages: page.totalPages };
  const named = page.name !== undefined;
  const newest = await whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: setMetaKey(set),
        UpdateExpression: `SET ${listedSetClauses}, syncVersion = :v, lastSync = :last${named ? ', #name = :name' : ''}`,
        ConditionExpression: 'attribute_not_exists(syncVersion) OR syncVersion <= :v',
        ...(named ? { ExpressionAttributeNames: { '#name': 'name' } } : {}),
        ExpressionAttributeValues: { ...listedSetValues(set, page.now), ':v': page.version, ':last': lastSync, ...(named ? { ':name': page.name } : {}) },
      }),
    ),
  );
  if (newest) return;
  // A newer page of the same run was recorded first: only the page count may still grow.
  await whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: setMetaKey(set),
        UpdateExpression: 'SET lastSync.pagesSeen = :n',
        ConditionExpression: 'lastSync.syncTaskId = :task AND lastSync.pagesSeen < :n',
        ExpressionAttributeValues: { ':n': pagesSeen, ':task': page.syncTaskId },
      }),
    ),
  );
};

/**
 * Raises one member partition's copy of the floor (never lowers it; creates SHARD if missing) while
 * holding the partition like a writer: every write that held it before has landed, and every later
 * one reads the new copy. A dead writer's pending write found there is finished first. `busy`
 * while another writer holds it (the drain comes back to it after a pause).
 */
const raiseShardFloor = async (store: StoreContext, set: SetRef, shard: number, version: string): Promise<StepOutcome> => {
  const target = { db: store.db, table: store.table, set, shard, counter: store.counter };
  const outcome = await withPartition(target, store.lease, (state, token) =>
    letGo(target, token, state.drainVersion !== undefined && state.drainVersion >= version ? undefined : version),
  );
  return outcome === 'busy' ? 'busy' : 'done';
};

/**
 * Raises the segment's floor to the drain's version (never lowers it): on META, then on every member
 * partition's copy, all before the drain reads the members. A writer reads the copy while holding
 * its partition, so once this returns no write decided under the old floor can still land.
 */
const recordDrain = async (store: StoreContext, set: SetRef, drain: Drain): Promise<void> => {
  const { db, table } = store;
  const named = drain.name !== undefined;
  await whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: setMetaKey(set),
        // A drain names a segment only if it has no name yet; renames follow sync pages.
        UpdateExpression: `SET ${listedSetClauses}, drainVersion = :v, lastDrainAt = :at${named ? ', #name = if_not_exists(#name, :name)' : ''}`,
        ConditionExpression: 'attribute_not_exists(drainVersion) OR drainVersion < :v',
        ...(named ? { ExpressionAttributeNames: { '#name': 'name' } } : {}),
        ExpressionAttributeValues: { ...listedSetValues(set, drain.now), ':v': drain.version, ':at': drain.receivedAt, ...(named ? { ':name': drain.name } : {}) },
      }),
    ),
  );
  // Every partition at once; a held one is tried again after a pause, like a writer's (busy-queue.ts).
  await runBusyQueue(Array.from({ length: MEMBER_SHARDS[set.kind] }, (_, shard) => shard), (shard) => raiseShardFloor(store, set, shard, drain.version), {
    lanes: MEMBER_SHARDS[set.kind],
    maxBusy: MAX_FLOOR_ATTEMPTS,
    pauseMs: (busy) => Math.random() * Math.min(100, 5 * 2 ** Math.min(busy, 5)),
    now: () => store.lease.clock.now(),
  });
};

/**
 * Current members, one page, across the set's partitions (member-partitions.ts) with ConsistentRead:
 * a drain must see every member written so far. Tombstones are filtered out (Limit counts items read
 * before the filter, so a page may hold fewer ids).
 */
const currentMembers = async (db: DynamoDBDocumentClient, table: string, set: SetRef, limit: number, startKey?: StartKey) => {
  const page = await membersPage(db, { TableName: table, ProjectionExpression: 'memberId', ConsistentRead: true }, set, limit, startKey);
  return { memberIds: decodeAll(memberIdItem, page.items).map((item) => item.memberId), ...(page.nextKey ? { nextKey: page.nextKey } : {}) };
};

export interface HeapSegmentStoreOptions {
  /** How long a floor raise holds a partition if the drain's function dies: its timeout (default 900 s). */
  readonly leaseMs?: number;
  readonly clock?: Clock;
}

export const dynamoHeapSegmentStore = (db: DynamoDBDocumentClient, table: string, options: HeapSegmentStoreOptions = {}): HeapSegmentStore => {
  const store: StoreContext = {
    db,
    table,
    lease: { clock: options.clock ?? systemClock, leaseMs: options.leaseMs ?? 900_000 },
    counter: newRequestCounter(),
  };
  return {
    recordSyncPage: (set, page) => recordSyncPage(db, table, set, page),
    recordDrain: (set, drain) => recordDrain(store, set, drain),
    currentMembers: (set, limit, startKey) => currentMembers(db, table, set, limit, startKey),
  };
};
