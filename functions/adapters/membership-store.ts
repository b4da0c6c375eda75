/**
 * The membership engine's DynamoDB side (cohorts table).
 * - set metadata: `<ws>#<C|S>#<setId>` / `META` (name, times, the floor `drainVersion`; `memberCount`
 *   only as kept from before count shards);
 * - count shards: `<set pk>` / `COUNT#<nn>` (`COUNT_SHARDS` of them): `memberCount` deltas and a copy
 *   of the set's floor; the set's count is META's `memberCount` plus every shard's;
 * - member: `<ws>#<C|S>#<setId>` / `M#<memberId>` with plain `workspaceId`, `setKind`, `setId`,
 *   `memberKind`, `memberId`, `status`, `version`, `source`, `changedAt`; while a member it also
 *   carries `gsi1pk = <ws>#<P|V>#<memberId>` (index byMember: the sets of a member). Members of a set
 *   are listed from the set's own partition (no second index write per change).
 *
 * Writes go in TransactWriteItems of ≤98 member puts plus one count-shard update. Each put is
 * conditioned on the version it was decided against (optimistic concurrency): if another worker
 * changed a member in between, the whole transaction is cancelled, nothing is counted, and the
 * chunk is re-read and re-decided. So member counts move only on real flips, exactly once. Writers
 * of one set pick different shards, so their transactions no longer queue on one item. The shard
 * action (the counter update, or a ConditionCheck when counts do not move) is conditioned on the
 * shard's copy of the floor read with the members: a drain raises every copy before it reads the
 * members, so a change older than a drain can never land after the drain was recorded.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  addApplyResult,
  decide,
  memberDecision,
  emptyApplyResult,
  tally,
  type ApplyResult,
  type ChangeSource,
  type MemberDecision,
  type MemberKind,
  type MemberState,
  type MembershipChange,
  type SetFloor,
  type SetRef,
} from '../domain/membership';
import type { MembershipStore } from '../domain/ports';
import { batchGetAll } from './dynamo/batch-get';
import { isContention } from './dynamo/conditions';
import { memberStateItem, setFloorItem } from './dynamo/items';
import { COUNT_SHARDS, memberIndexPk, memberSk, META_SK, setCountKey, setIndexSk, setMetaKey, setPk } from './dynamo/keys';
import { backoff, chunk, inLanes } from './dynamo/retry';

/** 100 keys per BatchGet: 98 members + META + the count shard (the transaction: 98 puts + the shard). */
const MEMBERS_PER_TRANSACTION = 98;
/**
 * Chunks of one apply call in flight at once: a 10,000-visitor Heap page or a 1,000-id cohort part
 * is written by several transactions in parallel, each on its own count shard.
 */
export const APPLY_LANES = 4;
const MAX_ATTEMPTS = 12;

/** Counts DynamoDB requests, so benchmarks can compare them with the ideal. */
export interface RequestCounter {
  batchGet: number;
  transactWrite: number;
  retries: number;
}

interface Chunk {
  readonly table: string;
  readonly set: SetRef;
  readonly memberKind: MemberKind;
  readonly version: string;
  readonly now: string;
  /** Where the change came from: stored on each member item written (`source`), read by the history stream. */
  readonly source?: ChangeSource | undefined;
  /** Filled with each member's decision when the caller logs decisions. */
  readonly decided?: Map<string, MemberDecision> | undefined;
}

/** FNV-1a of a string: spreads chunks over the count shards (any shard may take any chunk's delta). */
const hash = (text: string): number => {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return value;
};

/** The count shard a chunk's attempt uses: another one after each contended attempt. */
const shardOf = (changes: readonly MembershipChange[], attempt: number): number => (hash(changes[0]?.memberId ?? '') + attempt) % COUNT_SHARDS;

/** The newer of two floors (a floor only rises). */
const newerFloor = (a: SetFloor, b: SetFloor): SetFloor => (a === undefined ? b : b === undefined || a > b ? a : b);

/**
 * One consistent BatchGet of a chunk's member items, the set's META and the chosen count shard
 * (≤ 98 + 2 keys: one call): the states to decide on, the floor they are decided against
 * (the newer of META's and the shard's copy) and the shard copy the write is conditioned on.
 */
const readChunk = async (db: DynamoDBDocumentClient, { table, set }: Chunk, memberIds: readonly string[], shard: number, counter: RequestCounter) => {
  const pk = setPk(set);
  const shardKey = setCountKey(set, shard);
  const keys = [setMetaKey(set), shardKey, ...memberIds.map((id) => ({ pk, sk: memberSk(id) }))];
  const items = await batchGetAll(db, table, keys, { consistency: 'strong', counter });
  const states = new Map<string, MemberState>();
  let metaFloor: SetFloor;
  let shardFloor: SetFloor;
  for (const item of items) {
    if (item.sk === META_SK) metaFloor = setFloorItem.parse(item).drainVersion;
    else if (item.sk === shardKey.sk) shardFloor = setFloorItem.parse(item).drainVersion;
    else {
      const member = memberStateItem.parse(item);
      states.set(member.memberId, { status: member.status, version: member.version });
    }
  }
  return { states, floor: newerFloor(metaFloor, shardFloor), shardFloor };
};

/** The member item as it becomes, conditioned on the exact state the decision was made on. */
const memberPut = ({ table, set, memberKind, now, source }: Chunk, version: string, memberId: string, status: MemberState['status'], current: MemberState | undefined) => {
  const isMember = status === 'member';
  return {
    Put: {
      TableName: table,
      Item: {
        pk: setPk(set),
        sk: memberSk(memberId),
        workspaceId: set.workspaceId,
        setKind: set.kind,
        setId: set.setId,
        memberKind,
        memberId,
        status: isMember ? 'member' : 'removed',
        version,
        changedAt: now,
        ...(source ? { source } : {}),
        ...(isMember ? { gsi1pk: memberIndexPk(set.workspaceId, memberKind, memberId), gsi1sk: setIndexSk(set) } : {}),
      },
      // Optimistic concurrency: write only over the exact state the decision was made on.
      ConditionExpression: current ? 'version = :seen' : 'attribute_not_exists(pk)',
      ...(current ? { ExpressionAttributeValues: { ':seen': current.version } } : {}),
    },
  };
};

/**
 * The count-shard action of the transaction: the counter update when counts move, a ConditionCheck
 * otherwise; either way conditioned on the shard's copy of the floor still being the one read (a
 * drain recorded meanwhile cancels the transaction, and the chunk is re-decided under the new floor).
 */
const shardAction = ({ table, set, now }: Chunk, shard: number, shardFloor: SetFloor, delta: number) => {
  const key = setCountKey(set, shard);
  const condition = shardFloor === undefined ? 'attribute_not_exists(drainVersion)' : 'drainVersion = :floor';
  const floorValues = shardFloor === undefined ? {} : { ':floor': shardFloor };
  if (delta === 0) return { ConditionCheck: { TableName: table, Key: key, ConditionExpression: condition, ...(shardFloor === undefined ? {} : { ExpressionAttributeValues: floorValues }) } };
  return {
    Update: {
      TableName: table,
      Key: key,
      UpdateExpression: 'ADD memberCount :delta SET updatedAt = :now, lastChangeAt = :now, workspaceId = :ws, setKind = :kind, setId = :sid',
      ConditionExpression: condition,
      ExpressionAttributeValues: { ':delta': delta, ':now': now, ':ws': set.workspaceId, ':kind': set.kind, ':sid': set.setId, ...floorValues },
    },
  };
};

/** Decides every change of a chunk against what was read: the counts, and the member puts to write. */
const decideChunk = (chunkOf: Chunk, changes: readonly MembershipChange[], states: Map<string, MemberState>, floor: SetFloor) => {
  const result = emptyApplyResult();
  const puts = [];
  for (const change of changes) {
    const current = states.get(change.memberId);
    const version = change.version ?? chunkOf.version;
    const decision = decide(current, change.op, version, floor);
    // Re-decided chunks overwrite: the decision of the attempt that committed is the one kept.
    chunkOf.decided?.set(change.memberId, memberDecision(current, version, decision));
    const status = tally(result, decision, current);
    if (status !== undefined) puts.push(memberPut(chunkOf, version, change.memberId, status, current));
  }
  return { result, puts };
};

/** Reads, decides and writes one chunk; a cancelled or contended transaction is re-read and re-decided. */
const applyChunk = async (db: DynamoDBDocumentClient, chunkOf: Chunk, changes: readonly MembershipChange[], counter: RequestCounter): Promise<ApplyResult> => {
  for (let attempt = 1; ; attempt += 1) {
    const shard = shardOf(changes, attempt);
    const memberIds = changes.map((change) => change.memberId);
    const { states, floor, shardFloor } = await readChunk(db, chunkOf, memberIds, shard, counter);
    const { result, puts } = decideChunk(chunkOf, changes, states, floor);
    if (puts.length === 0) return result;
    try {
      counter.transactWrite += 1;
      await db.send(new TransactWriteCommand({ TransactItems: [...puts, shardAction(chunkOf, shard, shardFloor, result.added - result.removed)] }));
      return result;
    } catch (error) {
      if (!isContention(error) || attempt >= MAX_ATTEMPTS) throw error;
      counter.retries += 1;
      // Another writer changed one of these members (or the shard is contended): back off with jitter, re-read, re-decide.
      await backoff(attempt, 20, 1000);
    }
  }
};

export const dynamoMembershipStore = (
  db: DynamoDBDocumentClient,
  table: string,
  counter: RequestCounter = { batchGet: 0, transactWrite: 0, retries: 0 },
): MembershipStore & { counter: RequestCounter } => ({
  counter,
  async apply(set, memberKind, changes, version, now, source, decided) {
    const total = emptyApplyResult();
    const chunkOf = { table, set, memberKind, version, now, source, decided };
    await inLanes(chunk(changes, MEMBERS_PER_TRANSACTION), APPLY_LANES, async (part) => addApplyResult(total, await applyChunk(db, chunkOf, part, counter)));
    return total;
  },
});
