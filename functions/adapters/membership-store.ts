/**
 * The membership engine's DynamoDB side (cohorts table; docs/data-model.md).
 * - set metadata: `<ws>#<C|S>#<setId>` / `META` (name, times, the floor `drainVersion`; `memberCount`
 *   and `COUNT#<nn>` items only as kept from earlier versions);
 * - member partitions: `<ws>#<C|S><nn>#<setId>` (`MEMBER_SHARDS[kind]` of them, chosen by the member id),
 *   each with its `SHARD` item (count, floor copy, lease: adapters/membership-shard.ts) and its
 *   members `M#<memberId>` with plain `workspaceId`, `setKind`, `setId`, `memberKind`, `memberId`,
 *   `status`, `version`, `source`, `changedAt`; while a member also `gsi1pk = <ws>#<P|V>#<memberId>`
 *   (index byMember: the sets of a member).
 *
 * A change goes to its member's partition; each partition's chunk of ≤ 99 changes is read, decided
 * and written while holding the partition (adapters/membership-shard.ts). Partitions are written in
 * parallel, so one set's writers do not queue behind one item.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  addApplyResult,
  type ApplyResult,
  decide,
  memberDecision,
  emptyApplyResult,
  tally,
  type ChangeSource,
  type MemberDecision,
  type MemberKind,
  type MemberState,
  type MembershipChange,
  type SetFloor,
  type SetKind,
} from '../domain/membership';
import { systemClock, type Clock, type MembershipStore } from '../domain/ports';
import { batchGetAll } from './dynamo/batch-get';
import { memberStateItem, setFloorItem } from './dynamo/items';
import { legacyMemberKey, memberKey, memberShardOf, MEMBER_SK_PREFIX, META_SK, setMetaKey, setPk } from './dynamo/keys';
import { queryPage } from './dynamo/query';
import { runBusyQueue, type StepOutcome } from './dynamo/busy-queue';
import { chunk } from './dynamo/retry';
import { commit, newRequestCounter, pendingWrite, stage, withPartition, writeMembers, type Lease, type MemberWrite, type RequestCounter, type ShardState, type ShardTarget } from './membership-shard';

export type { RequestCounter };

/**
 * Members per chunk: 3 BatchGets of ≤ 100 keys read in parallel (with META), one hold, stage and
 * commit for up to 297 changes (the pending write stays ≈ 25 KB, far below DynamoDB's 400 KB item).
 */
const MEMBERS_PER_CHUNK = 297;
/**
 * Member partitions of one apply call written at once: a 10,000-visitor Heap page or a 1,000-id
 * cohort part fans out over the set's partitions, 8 chunks in flight.
 */
export const APPLY_LANES = 8;
/** Busy answers one partition may give an apply call before it gives up (the record then fails and SQS retries it). */
const MAX_ATTEMPTS = 200;
/** Default lease of a claim: the longest a hub function runs (900 s); functions pass their own timeout. */
const DEFAULT_LEASE_MS = 900_000;


interface Chunk {
  readonly target: ShardTarget;
  readonly memberKind: MemberKind;
  readonly version: string;
  readonly now: string;
  /** Where the change came from: stored on each member item written (`source`), read by the history stream. */
  readonly source?: ChangeSource | undefined;
  /** Filled with each member's decision when the caller logs decisions. */
  readonly decided?: Map<string, MemberDecision> | undefined;
}

/** What a chunk is decided on: member states (new place, else old place), the floor, the SHARD item, the members still in the old place. */
interface ChunkRead {
  readonly states: Map<string, MemberState>;
  readonly floor: SetFloor;
  readonly shard: ShardState | undefined;
  readonly legacy: boolean;
  readonly moved: Map<string, MemberState['status']>;
}

/** The newer of two floors (a floor only rises). */
const newerFloor = (a: SetFloor, b: SetFloor): SetFloor => (a === undefined ? b : b === undefined || a > b ? a : b);

/** True when the set still has member items in its own partition (written by earlier versions). */
const hasLegacyMembers = async ({ db, table, set }: ShardTarget): Promise<boolean> => {
  const page = await queryPage(db, { TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)', ExpressionAttributeValues: { ':pk': setPk(set), ':m': MEMBER_SK_PREFIX }, ProjectionExpression: 'pk', ConsistentRead: true }, 1);
  return page.items.length > 0 || page.nextKey !== undefined;
};

/** The old-place states of members, for sets that still have some. */
const legacyStates = async ({ db, table, set, counter }: ShardTarget, memberIds: readonly string[]) => {
  const items = await batchGetAll(db, table, memberIds.map((id) => legacyMemberKey(set, id)), { consistency: 'strong', counter });
  return new Map(items.map((item) => memberStateItem.parse(item)).map((member) => [member.memberId, { status: member.status, version: member.version }] as const));
};

/**
 * What a chunk is decided on, read while holding its partition (so no other writer changes these
 * members meanwhile): one consistent BatchGet of the members and META (and of the old places while
 * the set has any); the floor is the newer of META's and the partition's copy.
 */
const readChunk = async (target: ShardTarget, memberIds: readonly string[], shard: ShardState | undefined): Promise<ChunkRead> => {
  const keys = [setMetaKey(target.set), ...memberIds.map((id) => memberKey(target.set, id))];
  const items = await batchGetAll(target.db, target.table, keys, { consistency: 'strong', counter: target.counter, concurrency: 3 });
  const states = new Map<string, MemberState>();
  let metaFloor: SetFloor;
  for (const item of items) {
    if (item.sk === META_SK) metaFloor = setFloorItem.parse(item).drainVersion;
    else {
      const member = memberStateItem.parse(item);
      states.set(member.memberId, { status: member.status, version: member.version });
    }
  }
  // Unknown until the partition's first claim records it (a drain may create SHARD before that).
  const legacy = shard?.legacy ?? (await hasLegacyMembers(target));
  const moved = new Map<string, MemberState['status']>();
  if (legacy) {
    for (const [memberId, old] of await legacyStates(target, memberIds)) {
      moved.set(memberId, old.status);
      const current = states.get(memberId);
      if (!current || old.version > current.version) states.set(memberId, old);
    }
  }
  return { states, floor: newerFloor(metaFloor, shard?.drainVersion), shard, legacy, moved };
};

/** A member item of a pending write: trailing parts only when present (a moved member, a naming identifier). */
const memberWrite = (change: MembershipChange, status: MemberState['status'], version: string, movedFrom: MemberState['status'] | undefined): MemberWrite => {
  if (change.identifier) return [change.memberId, status, version, movedFrom ?? null, change.identifier];
  return movedFrom ? [change.memberId, status, version, movedFrom] : [change.memberId, status, version];
};

/** Decides every change of a chunk against what was read: the counts, and the member items to write. */
const decideChunk = (chunkOf: Chunk, changes: readonly MembershipChange[], read: ChunkRead) => {
  const result = emptyApplyResult();
  const writes: MemberWrite[] = [];
  for (const change of changes) {
    const current = read.states.get(change.memberId);
    const version = change.version ?? chunkOf.version;
    const decision = decide(current, change.op, version, read.floor);
    // Re-decided chunks overwrite: the decision of the attempt that committed is the one kept.
    chunkOf.decided?.set(change.memberId, memberDecision(current, version, decision));
    const status = tally(result, decision, current);
    if (status === undefined) continue;
    writes.push(memberWrite(change, status, version, read.moved.get(change.memberId)));
  }
  return { result, writes };
};

/**
 * One try at a chunk of one partition: `busy` while another writer holds the partition (the caller
 * comes back later). Holding it (`withPartition`), the chunk reads, decides, stages, writes and commits.
 */
const tryChunk = (chunkOf: Chunk, changes: readonly MembershipChange[], lease: Lease): Promise<ApplyResult | 'busy'> =>
  withPartition(chunkOf.target, lease, async (shard, token) => {
    const { target } = chunkOf;
    const read = await readChunk(target, changes.map((change) => change.memberId), shard);
    const { result, writes } = decideChunk(chunkOf, changes, read);
    const pending = writes.length > 0 ? pendingWrite(chunkOf, writes, writes.filter(([id]) => read.moved.has(id)).map(([id]) => id), result.added - result.removed) : undefined;
    if (pending) {
      await stage(target, token, pending, read.legacy);
      await writeMembers(target, pending);
    }
    await commit(target, token, pending?.delta ?? 0, chunkOf.now, read.legacy);
    return result;
  });

/** One partition's work in an apply call: its chunks in order. */
interface PartitionTask {
  readonly chunkOf: Chunk;
  readonly parts: MembershipChange[][];
  index: number;
}

/** Changes grouped by member partition, each partition's in chunks of `MEMBERS_PER_CHUNK`. */
const byPartition = (kind: SetKind, changes: readonly MembershipChange[]): [number, MembershipChange[][]][] => {
  const groups = new Map<number, MembershipChange[]>();
  for (const change of changes) {
    const shard = memberShardOf(kind, change.memberId);
    const group = groups.get(shard);
    if (group) group.push(change);
    else groups.set(shard, [change]);
  }
  return [...groups].map(([shard, list]) => [shard, chunk(list, MEMBERS_PER_CHUNK)]);
};

export interface MembershipStoreOptions {
  readonly counter?: RequestCounter;
  /** How long a claim holds before another writer may finish it: the writing function's timeout. */
  readonly leaseMs?: number;
  readonly clock?: Clock;
}

export const dynamoMembershipStore = (db: DynamoDBDocumentClient, table: string, options: MembershipStoreOptions = {}): MembershipStore & { counter: RequestCounter } => {
  const counter = options.counter ?? newRequestCounter();
  const clock = options.clock ?? systemClock;
  const lease: Lease = { clock, leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS };
  return {
    counter,
    async apply(set, memberKind, changes, version, now, source, decided) {
      const total = emptyApplyResult();
      const tasks: PartitionTask[] = byPartition(set.kind, changes).map(([shard, parts]) => ({
        chunkOf: { target: { db, table, set, shard, counter }, memberKind, version, now, source, decided },
        parts,
        index: 0,
      }));
      const step = async (task: PartitionTask): Promise<StepOutcome> => {
        const outcome = await tryChunk(task.chunkOf, task.parts[task.index] ?? [], lease);
        if (outcome === 'busy') {
          counter.retries += 1;
          return 'busy';
        }
        addApplyResult(total, outcome);
        task.index += 1;
        return task.index < task.parts.length ? 'more' : 'done';
      };
      // Partitions in parallel; a busy one waits at the back of the queue while the lanes write others.
      await runBusyQueue(tasks, step, { lanes: APPLY_LANES, maxBusy: MAX_ATTEMPTS, pauseMs: (busy) => 10 + Math.random() * Math.min(500, 10 * 2 ** busy), now: () => clock.now() });
      return total;
    },
  };
};
