/**
 * The membership engine's DynamoDB side (cohorts table).
 * - set metadata: `<ws>#<C|S>#<setId>` / `META` (name, memberCount, times);
 * - member: `<ws>#<C|S>#<setId>` / `M#<memberId>` with `status`, `version`; while a member it also
 *   carries `gsi1pk = <ws>#<P|V>#<memberId>` (index byMember: the sets of a member) and
 *   `gsi2pk = <set pk>` (index bySet: the members of a set); tombstones drop both, so the sparse
 *   indexes hold current members only.
 *
 * Writes go in TransactWriteItems of ≤99 member puts plus one counter update on META. Each put is
 * conditioned on the version it was decided against (optimistic concurrency): if another worker
 * changed a member in between, the whole transaction is cancelled, nothing is counted, and the
 * chunk is re-read and re-decided. So member counts move only on real flips, exactly once.
 * The META action (the counter update, or a ConditionCheck when counts do not move) is conditioned
 * on the set's floor (`drainVersion`) read with the members: a change older than a drain can never
 * land after the drain was recorded, even for a member that had no item when the drain ran.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  addApplyResult,
  decide,
  emptyApplyResult,
  tally,
  type ApplyResult,
  type ChangeSource,
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
import { memberIndexPk, memberSk, META_SK, setIndexSk, setMetaKey, setPk } from './dynamo/keys';
import { backoff, chunk } from './dynamo/retry';

/** DynamoDB allows 100 actions per transaction (and 100 keys per BatchGet): 99 members + the META item. */
const MEMBERS_PER_TRANSACTION = 99;
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
}

/**
 * One consistent BatchGet of a chunk's member items and the set's META item (≤ 99 + 1 keys): the
 * states to decide on and the floor (`drainVersion`) they are decided against.
 */
const readChunk = async (db: DynamoDBDocumentClient, { table, set }: Chunk, memberIds: readonly string[], counter: RequestCounter) => {
  const pk = setPk(set);
  const keys = [setMetaKey(set), ...memberIds.map((id) => ({ pk, sk: memberSk(id) }))];
  const items = await batchGetAll(db, table, keys, { consistency: 'strong', counter });
  const states = new Map<string, MemberState>();
  let floor: SetFloor;
  for (const item of items) {
    if (item.sk === META_SK) floor = setFloorItem.parse(item).drainVersion;
    else {
      const member = memberStateItem.parse(item);
      states.set(member.memberId, { status: member.status, version: member.version });
    }
  }
  return { states, floor };
};

/** The member item as it becomes, conditioned on the exact state the decision was made on. */
const memberPut = ({ table, set, memberKind, now, source }: Chunk, version: string, memberId: string, status: MemberState['status'], current: MemberState | undefined) => {
  const pk = setPk(set);
  const isMember = status === 'member';
  return {
    Put: {
      TableName: table,
      Item: {
        pk,
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
        ...(isMember ? { gsi1pk: memberIndexPk(set.workspaceId, memberKind, memberId), gsi1sk: setIndexSk(set), gsi2pk: pk, gsi2sk: memberId } : {}),
      },
      // Optimistic concurrency: write only over the exact state the decision was made on.
      ConditionExpression: current ? 'version = :seen' : 'attribute_not_exists(pk)',
      ...(current ? { ExpressionAttributeValues: { ':seen': current.version } } : {}),
    },
  };
};

/**
 * The META action of the transaction: the counter update when counts move, a ConditionCheck
 * otherwise; either way conditioned on the floor still being the one decided against (a drain
 * recorded meanwhile cancels the transaction, and the chunk is re-decided under the new floor).
 */
const metaAction = ({ table, set, now }: Chunk, floor: SetFloor, delta: number) => {
  const floorCondition = floor === undefined ? 'attribute_not_exists(drainVersion)' : 'drainVersion = :floor';
  const floorValues = floor === undefined ? {} : { ':floor': floor };
  if (delta === 0) {
    return { ConditionCheck: { TableName: table, Key: setMetaKey(set), ConditionExpression: floorCondition, ...(floor === undefined ? {} : { ExpressionAttributeValues: floorValues }) } };
  }
  return {
    Update: {
      TableName: table,
      Key: setMetaKey(set),
      UpdateExpression:
        'ADD memberCount :delta SET updatedAt = :now, lastChangeAt = :now, workspaceId = if_not_exists(workspaceId, :ws), setKind = if_not_exists(setKind, :kind), setId = if_not_exists(setId, :sid), createdAt = if_not_exists(createdAt, :now)',
      ConditionExpression: floorCondition,
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
    const status = tally(result, decide(current, change.op, version, floor), current);
    if (status !== undefined) puts.push(memberPut(chunkOf, version, change.memberId, status, current));
  }
  return { result, puts };
};

/** Reads, decides and writes one chunk; a cancelled or contended transaction is re-read and re-decided. */
const applyChunk = async (db: DynamoDBDocumentClient, chunkOf: Chunk, changes: readonly MembershipChange[], counter: RequestCounter): Promise<ApplyResult> => {
  for (let attempt = 1; ; attempt += 1) {
    const { states, floor } = await readChunk(
      db,
      chunkOf,
      changes.map((change) => change.memberId),
      counter,
    );
    const { result, puts } = decideChunk(chunkOf, changes, states, floor);
    if (puts.length === 0) return result;
    try {
      counter.transactWrite += 1;
      await db.send(new TransactWriteCommand({ TransactItems: [...puts, metaAction(chunkOf, floor, result.added - result.removed)] }));
      return result;
    } catch (error) {
      if (!isContention(error) || attempt >= MAX_ATTEMPTS) throw error;
      counter.retries += 1;
      // Another writer changed one of these members (or META is contended): back off with jitter, re-read, re-decide.
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
  async apply(set, memberKind, changes, version, now, source) {
    const total = emptyApplyResult();
    for (const part of chunk(changes, MEMBERS_PER_TRANSACTION)) addApplyResult(total, await applyChunk(db, { table, set, memberKind, version, now, source }, part, counter));
    return total;
  },
});
