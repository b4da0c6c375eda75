/**
 * One member partition's write protocol (docs/data-model.md "Exact counts without transactions").
 *
 * A set's members are spread over `MEMBER_SHARDS` partitions; each partition has a shard item
 * (`SHARD`) holding its member count, a copy of the set's floor, a sequence number and, while a
 * writer works, its `pending` write: the exact member items it is about to put and the count delta
 * they make. A writer reads SHARD, then the members; claims the shard with one conditional
 * UpdateItem (no pending write, the sequence and floor it read unchanged: no claim or commit came
 * between its read and its claim, so the members it read are current); puts the members with
 * BatchWriteItem (1 WRU each instead of a transaction's 2); then commits: adds the delta, removes
 * `pending` and moves the sequence on, conditioned on its token.
 * If the writer dies between claim and commit, the next writer finds the pending write once its
 * lease has passed (the writer's function timeout: a Lambda cannot write after it) and finishes it —
 * the same puts again (idempotent), then the delta once (the token condition). A writer that fails
 * with an error releases its lease at once. So only the writer holding the claim writes the
 * partition's members, and the count moves exactly once per applied flip.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChangeSource, MemberKind, SetFloor, SetRef } from '../domain/membership';
import { batchWriteAll, deleteRequests, putRequests, type BatchWriteCounter } from './dynamo/batch-write';
import { isConditionFailure, whenCondition } from './dynamo/conditions';
import { shardItem, type PendingWrite, type ShardState } from './dynamo/items';
import { legacyMemberKey, memberIndexPk, memberKey, setIndexSk, shardKey } from './dynamo/keys';

export type { PendingWrite, ShardState };

/** One member item as the pending write puts it: id, status, version, and the status it had in its old place if it moves. */
export type MemberWrite = PendingWrite['writes'][number];

export interface ShardTarget {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly set: SetRef;
  readonly shard: number;
  readonly counter: RequestCounter;
}

/** DynamoDB requests of the engine, so benchmarks and tests can compare them with the ideal. */
export interface RequestCounter extends BatchWriteCounter {
  get: number;
  batchGet: number;
  update: number;
  /** Re-reads after a lost claim or a busy partition. */
  retries: number;
}

/** The member item a write puts: plain attributes for the history stream, `gsi1*` while a member. */
const memberItem = (set: SetRef, pending: PendingWrite, [memberId, status, version, movedFrom]: MemberWrite) => ({
  ...memberKey(set, memberId),
  workspaceId: set.workspaceId,
  setKind: set.kind,
  setId: set.setId,
  memberKind: pending.memberKind,
  memberId,
  status,
  version,
  changedAt: pending.changedAt,
  ...(pending.source ? { source: pending.source } : {}),
  // A member moved from the set's old partition: the history reads this as its old image's status.
  ...(movedFrom ? { movedFrom } : {}),
  ...(status === 'member' ? { gsi1pk: memberIndexPk(set.workspaceId, pending.memberKind, memberId), gsi1sk: setIndexSk(set) } : {}),
});

/** The pending write of a decided chunk: a fresh token, a lease until `untilMs`. */
export const pendingWrite = (
  chunk: { memberKind: MemberKind; now: string; source?: ChangeSource | undefined },
  writes: MemberWrite[],
  legacy: string[],
  delta: number,
  untilMs: number,
): PendingWrite => ({ token: randomUUID(), until: untilMs, delta, memberKind: chunk.memberKind, changedAt: chunk.now, ...(chunk.source ? { source: chunk.source } : {}), writes, legacy });

/**
 * Claims the shard for `pending`: only if no write is pending, and the sequence and floor are still
 * the ones the chunk was decided on (nobody wrote these members or recorded a drain since the read).
 */
export const claim = (target: ShardTarget, seen: ShardState | undefined, pending: PendingWrite, legacy: boolean): Promise<boolean> => {
  const floor: SetFloor = seen?.drainVersion;
  target.counter.update += 1;
  return whenCondition(() =>
    target.db.send(
      new UpdateCommand({
        TableName: target.table,
        Key: shardKey(target.set, target.shard),
        UpdateExpression: 'SET pending = :pending, seq = :next, legacy = if_not_exists(legacy, :legacy), workspaceId = :ws, setKind = :kind, setId = :sid',
        ConditionExpression: [
          'attribute_not_exists(pending)',
          seen && seen.seq > 0 ? 'seq = :seen' : 'attribute_not_exists(seq)',
          floor === undefined ? 'attribute_not_exists(drainVersion)' : 'drainVersion = :floor',
        ].join(' AND '),
        ExpressionAttributeValues: {
          ':pending': pending,
          ':next': (seen?.seq ?? 0) + 1,
          ':legacy': legacy,
          ':ws': target.set.workspaceId,
          ':kind': target.set.kind,
          ':sid': target.set.setId,
          ...(seen && seen.seq > 0 ? { ':seen': seen.seq } : {}),
          ...(floor === undefined ? {} : { ':floor': floor }),
        },
      }),
    ),
  );
};

/** Puts the pending write's member items (and deletes the old-place items of the members it moves). */
export const writeMembers = (target: ShardTarget, pending: PendingWrite): Promise<void> =>
  batchWriteAll(target.db, target.table, [
    ...putRequests(pending.writes.map((write) => memberItem(target.set, pending, write))),
    ...deleteRequests(pending.legacy.map((memberId) => legacyMemberKey(target.set, memberId))),
  ], target.counter);

/**
 * Adds the pending write's delta, removes it and moves the sequence on: once, by its token. The new
 * sequence, or undefined when someone else already finished this write.
 */
export const commit = async (target: ShardTarget, pending: PendingWrite, now: string): Promise<number | undefined> => {
  target.counter.update += 1;
  try {
    const result = await target.db.send(
      new UpdateCommand({
        TableName: target.table,
        Key: shardKey(target.set, target.shard),
        UpdateExpression: 'ADD memberCount :delta, seq :one REMOVE pending SET updatedAt = :now, lastChangeAt = :now',
        ConditionExpression: 'pending.#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':delta': pending.delta, ':one': 1, ':now': now, ':token': pending.token },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.seq);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
};

/** The partition's SHARD item, read on its own before its members (see `readChunk`). */
export const readShard = async (target: ShardTarget): Promise<ShardState | undefined> => {
  target.counter.get += 1;
  const result = await target.db.send(new GetCommand({ TableName: target.table, Key: shardKey(target.set, target.shard), ConsistentRead: true }));
  return result.Item ? shardItem.parse(result.Item) : undefined;
};

/** Ends the lease of a write that failed with an error (its writer writes no more): anyone may finish it now. */
export const release = async (target: ShardTarget, pending: PendingWrite): Promise<void> => {
  target.counter.update += 1;
  await whenCondition(() =>
    target.db.send(
      new UpdateCommand({
        TableName: target.table,
        Key: shardKey(target.set, target.shard),
        UpdateExpression: 'SET pending.#until = :zero',
        ConditionExpression: 'pending.#token = :token',
        ExpressionAttributeNames: { '#token': 'token', '#until': 'until' },
        ExpressionAttributeValues: { ':zero': 0, ':token': pending.token },
      }),
    ),
  ).catch(() => false);
};

/** Finishes a pending write whose writer is gone: its puts again, then its delta once. */
export const recover = async (target: ShardTarget, pending: PendingWrite): Promise<void> => {
  await writeMembers(target, pending);
  await commit(target, pending, pending.changedAt);
};
