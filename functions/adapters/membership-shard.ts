/**
 * One member partition's write protocol (docs/data-model.md "Exact counts without transactions").
 *
 * A set's members are spread over `MEMBER_SHARDS[kind]` partitions; each partition has a shard item
 * (`SHARD`) holding its member count, a copy of the set's floor, its `holder` (a writer's token and
 * lease) and, while that writer works, its `pending` write: the exact member items it is about to
 * put and the count delta they make. A writer:
 * 1. takes the partition (`hold`: one conditional UpdateItem, refused while another holder's lease
 *    runs; it returns the SHARD state, so no separate read);
 * 2. reads META and its members (consistent BatchGet) and decides — nobody else can write them now;
 * 3. records `pending` (`stage`), puts the members with BatchWriteItem (1 WRU each instead of a
 *    transaction's 2), then `commit`s: adds the delta, removes `pending` and `holder`, by its token.
 * A writer that fails with an error releases its lease at once; one that dies keeps it until its
 * lease ends (its function's timeout: a Lambda cannot write after it). The next writer to take the
 * partition finds the dead writer's `pending` and finishes it (`recover`): the same puts again
 * (idempotent), then the delta once. So the count moves exactly once per applied flip.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChangeSource, MemberKind, SetRef } from '../domain/membership';
import type { Clock } from '../domain/ports';
import { batchWriteAll, deleteRequests, putRequests, type BatchWriteCounter } from './dynamo/batch-write';
import { isConditionFailure, whenCondition } from './dynamo/conditions';
import * as z from 'zod/mini';
import { pendingWritesSchema, shardItem, type PendingWrite, type ShardState, type StoredPending } from './dynamo/items';
import { legacyMemberKey, memberIndexPk, memberKey, setIndexSk, shardKey } from './dynamo/keys';

export type { PendingWrite, ShardState };

/** One member item as the pending write puts it: id, status, version, its old place's status if it moves, the identifier that named it. */
export type MemberWrite = PendingWrite['writes'][number];

/** DynamoDB requests of the engine, so benchmarks and tests can compare them with the ideal. */
export interface RequestCounter extends BatchWriteCounter {
  batchGet: number;
  update: number;
  /** Partitions found held by another writer (the chunk comes back later). */
  retries: number;
}

/** A request counter at zero. */
export const newRequestCounter = (): RequestCounter => ({ batchGet: 0, batchWrite: 0, unprocessedRetries: 0, update: 0, retries: 0 });

export interface ShardTarget {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly set: SetRef;
  readonly shard: number;
  readonly counter: RequestCounter;
}


/** The member item a write puts: plain attributes for the history stream, `gsi1*` while a member (also the bench floor's item). */
export const memberItem = (set: SetRef, pending: Pick<PendingWrite, 'memberKind' | 'changedAt' | 'source'>, [memberId, status, version, movedFrom, identifier]: MemberWrite) => ({
  ...memberKey(set, memberId),
  workspaceId: set.workspaceId,
  setKind: set.kind,
  setId: set.setId,
  memberKind: pending.memberKind,
  memberId,
  status,
  version,
  changedAt: pending.changedAt,
  ...(pending.source ? { source: identifier ? { ...pending.source, identifier } : pending.source } : {}),
  // A member moved from the set's old partition: the history reads this as its old image's status.
  ...(movedFrom ? { movedFrom } : {}),
  ...(status === 'member' ? { gsi1pk: memberIndexPk(set.workspaceId, pending.memberKind, memberId), gsi1sk: setIndexSk(set) } : {}),
});

/** The pending write of a decided chunk. */
export const pendingWrite = (chunk: { memberKind: MemberKind; now: string; source?: ChangeSource | undefined }, writes: MemberWrite[], legacy: string[], delta: number): PendingWrite => ({
  token: randomUUID(),
  delta,
  memberKind: chunk.memberKind,
  changedAt: chunk.now,
  ...(chunk.source ? { source: chunk.source } : {}),
  writes,
  legacy,
});

/** A new holder token with its lease. */
const holderOf = (untilMs: number) => ({ token: randomUUID(), until: untilMs });

/**
 * Takes the partition for `holder` unless another holder's lease still runs (`busy`); creates SHARD
 * if missing. Returns the SHARD state as it now is (a dead writer's `pending` included).
 */
export const hold = async (target: ShardTarget, holder: { token: string; until: number }, nowMs: number): Promise<ShardState | 'busy'> => {
  target.counter.update += 1;
  try {
    const result = await target.db.send(
      new UpdateCommand({
        TableName: target.table,
        Key: shardKey(target.set, target.shard),
        UpdateExpression: 'SET #holder = :holder, workspaceId = :ws, setKind = :kind, setId = :sid',
        ConditionExpression: 'attribute_not_exists(#holder) OR #holder.#until <= :now',
        ExpressionAttributeNames: { '#holder': 'holder', '#until': 'until' },
        ExpressionAttributeValues: { ':holder': holder, ':now': nowMs, ':ws': target.set.workspaceId, ':kind': target.set.kind, ':sid': target.set.setId },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return shardItem.parse(result.Attributes ?? {});
  } catch (error) {
    if (isConditionFailure(error)) return 'busy';
    throw error;
  }
};

/** Runs one holder-conditioned UpdateItem on SHARD; false if the holder no longer holds it. */
const asHolder = (target: ShardTarget, token: string, expression: string, values: Record<string, unknown>): Promise<boolean> => {
  target.counter.update += 1;
  return whenCondition(() =>
    target.db.send(
      new UpdateCommand({
        TableName: target.table,
        Key: shardKey(target.set, target.shard),
        UpdateExpression: expression,
        ConditionExpression: '#holder.#token = :holderToken',
        // DynamoDB refuses names an expression does not use: `#until` only where it is.
        ExpressionAttributeNames: { '#holder': 'holder', '#token': 'token', ...(expression.includes('#until') ? { '#until': 'until' } : {}) },
        ExpressionAttributeValues: { ...values, ':holderToken': token },
      }),
    ),
  );
};

/** The stored form of a pending write: its lists as JSON strings. */
const encodePending = (pending: PendingWrite): StoredPending => ({ ...pending, writes: JSON.stringify(pending.writes), legacy: JSON.stringify(pending.legacy) });

/** A stored pending write read back. */
const decodePending = (stored: StoredPending): PendingWrite => ({
  ...stored,
  writes: pendingWritesSchema.parse(JSON.parse(stored.writes)),
  legacy: z.array(z.string()).parse(JSON.parse(stored.legacy)),
});

/** Records the decided write before any member is put (and whether the set still has old-place members). */
export const stage = (target: ShardTarget, token: string, pending: PendingWrite, legacy: boolean): Promise<boolean> =>
  asHolder(target, token, 'SET pending = :pending, legacy = if_not_exists(legacy, :legacy)', { ':pending': encodePending(pending), ':legacy': legacy });

/** Puts the pending write's member items (and deletes the old-place items of the members it moves). */
export const writeMembers = (target: ShardTarget, pending: PendingWrite): Promise<void> =>
  batchWriteAll(target.db, target.table, [
    ...putRequests(pending.writes.map((write) => memberItem(target.set, pending, write))),
    ...deleteRequests(pending.legacy.map((memberId) => legacyMemberKey(target.set, memberId))),
  ], target.counter);

/** Adds the delta (0 without a write), removes `pending` and lets the partition go: once, by the holder's token. */
export const commit = (target: ShardTarget, token: string, delta: number, now: string, legacy: boolean): Promise<boolean> =>
  asHolder(target, token, 'ADD memberCount :delta REMOVE pending, #holder SET updatedAt = :now, lastChangeAt = :now, legacy = if_not_exists(legacy, :legacy)', { ':delta': delta, ':now': now, ':legacy': legacy });

/** Lets the partition go, raising its floor copy to `drainVersion` on the way when given (a drain's hold). */
export const letGo = (target: ShardTarget, token: string, drainVersion: string | undefined): Promise<boolean> =>
  drainVersion === undefined
    ? asHolder(target, token, 'REMOVE #holder', {})
    : asHolder(target, token, 'SET drainVersion = :v REMOVE #holder', { ':v': drainVersion });

/** Ends the lease of a holder that failed with an error (it writes no more): the next writer may take over now. */
const release = async (target: ShardTarget, token: string): Promise<void> => {
  await asHolder(target, token, 'SET #holder.#until = :zero', { ':zero': 0 }).catch(() => false);
};

/** Finishes a dead writer's pending write, by the new holder: its puts again, then its delta once. */
const recover = async (target: ShardTarget, token: string, stored: StoredPending): Promise<void> => {
  const pending = decodePending(stored);
  await writeMembers(target, pending);
  await asHolder(target, token, 'ADD memberCount :delta REMOVE pending', { ':delta': pending.delta });
};

/** How long a holder's lease runs (its function's timeout), on which clock. */
export interface Lease {
  readonly clock: Clock;
  readonly leaseMs: number;
}

/**
 * One piece of work holding the partition: `busy` while another holder's lease runs. Holding it, a
 * dead writer's pending write is finished first; `work` gets the SHARD state and the holder token
 * and lets the partition go itself (`commit` or `letGo`); an error releases the partition at once —
 * whatever landed (the hold, if only its answer was lost; a stage; some puts) the next holder finishes.
 */
export const withPartition = async <T>(target: ShardTarget, { clock, leaseMs }: Lease, work: (shard: ShardState, token: string) => Promise<T>): Promise<T | 'busy'> => {
  const holder = holderOf(clock.now() + leaseMs);
  try {
    const shard = await hold(target, holder, clock.now());
    if (shard === 'busy') return 'busy';
    if (shard.pending) await recover(target, holder.token, shard.pending);
    return await work(shard, holder.token);
  } catch (error) {
    await release(target, holder.token);
    throw error;
  }
};
