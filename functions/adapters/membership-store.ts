/**
 * DynamoDB membership store (cohorts table).
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
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  decide,
  tally,
  type ApplyResult,
  type MemberKind,
  type MemberState,
  type MembershipChange,
  type MembershipStore,
  type SetKind,
  type SetFloor,
  type SetRef,
} from '../domain/membership';

const SET_CODES = { cohort: 'C', segment: 'S' } as const satisfies Record<SetKind, string>;
const MEMBER_CODES = { profile: 'P', visitor: 'V' } as const satisfies Record<MemberKind, string>;

/** DynamoDB allows 100 actions per transaction (and 100 keys per BatchGet): 99 members + the META item. */
const MEMBERS_PER_TRANSACTION = 99;
const MAX_ATTEMPTS = 12;

export const setPk = (set: SetRef): string => `${set.workspaceId}#${SET_CODES[set.kind]}#${set.setId}`;
export const memberSk = (memberId: string): string => `M#${memberId}`;
export const memberIndexPk = (workspaceId: string, kind: MemberKind, memberId: string): string =>
  `${workspaceId}#${MEMBER_CODES[kind]}#${memberId}`;
export const setIndexSk = (set: SetRef): string => `${SET_CODES[set.kind]}#${set.setId}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts DynamoDB requests, so benchmarks can compare them with the ideal. */
export interface RequestCounter {
  batchGet: number;
  transactWrite: number;
  retries: number;
}

export const dynamoMembershipStore = (
  db: DynamoDBDocumentClient,
  table: string,
  counter: RequestCounter = { batchGet: 0, transactWrite: 0, retries: 0 },
): MembershipStore & { counter: RequestCounter } => {
  /**
   * One consistent BatchGet of a chunk's member items and the set's META item (≤ 99 + 1 keys): the
   * states to decide on and the floor (`drainVersion`) they are decided against.
   */
  const readChunk = async (set: SetRef, memberIds: readonly string[]): Promise<{ states: Map<string, MemberState>; floor: SetFloor }> => {
    const states = new Map<string, MemberState>();
    let floor: SetFloor;
    const pk = setPk(set);
    let request: Record<string, { Keys: Record<string, string>[]; ConsistentRead: boolean }> | undefined = {
      [table]: { Keys: [{ pk, sk: 'META' }, ...memberIds.map((id) => ({ pk, sk: memberSk(id) }))], ConsistentRead: true },
    };
    while (request && Object.keys(request).length > 0) {
      counter.batchGet += 1;
      const result = await db.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of result.Responses?.[table] ?? []) {
        if (item.sk === 'META') floor = item.drainVersion as SetFloor;
        else states.set(item.memberId as string, { status: item.status as MemberState['status'], version: item.version as string });
      }
      request = result.UnprocessedKeys as typeof request;
    }
    return { states, floor };
  };

  const applyChunk = async (
    set: SetRef,
    memberKind: MemberKind,
    changes: readonly MembershipChange[],
    version: string,
    now: string,
  ): Promise<ApplyResult> => {
    const pk = setPk(set);
    for (let attempt = 1; ; attempt += 1) {
      const { states, floor } = await readChunk(
        set,
        changes.map((change) => change.memberId),
      );
      const result: ApplyResult = { added: 0, removed: 0, unchanged: 0, stale: 0 };
      const puts = [];
      for (const change of changes) {
        const current = states.get(change.memberId);
        const status = tally(result, decide(current, change.op, version, floor), current);
        if (status === undefined) continue;
        const isMember = status === 'member';
        puts.push({
          Put: {
            TableName: table,
            Item: {
              pk,
              sk: memberSk(change.memberId),
              workspaceId: set.workspaceId,
              setKind: set.kind,
              setId: set.setId,
              memberKind,
              memberId: change.memberId,
              status: isMember ? 'member' : 'removed',
              version,
              changedAt: now,
              ...(isMember
                ? { gsi1pk: memberIndexPk(set.workspaceId, memberKind, change.memberId), gsi1sk: setIndexSk(set), gsi2pk: pk, gsi2sk: change.memberId }
                : {}),
            },
            // Optimistic concurrency: write only over the exact state the decision was made on.
            ConditionExpression: current ? 'version = :seen' : 'attribute_not_exists(pk)',
            ...(current ? { ExpressionAttributeValues: { ':seen': current.version } } : {}),
          },
        });
      }
      if (puts.length === 0) return result;
      // The floor must still be the one decided against: a drain recorded meanwhile cancels the
      // transaction, and the chunk is re-decided under the new floor.
      const floorCondition = floor === undefined ? 'attribute_not_exists(drainVersion)' : 'drainVersion = :floor';
      const floorValues = floor === undefined ? {} : { ':floor': floor };
      const delta = result.added - result.removed;
      const metaAction =
        delta === 0
          ? { ConditionCheck: { TableName: table, Key: { pk, sk: 'META' }, ConditionExpression: floorCondition, ...(floor === undefined ? {} : { ExpressionAttributeValues: floorValues }) } }
          : {
              Update: {
                TableName: table,
                Key: { pk, sk: 'META' },
                UpdateExpression:
                  'ADD memberCount :delta SET updatedAt = :now, lastChangeAt = :now, workspaceId = if_not_exists(workspaceId, :ws), setKind = if_not_exists(setKind, :kind), setId = if_not_exists(setId, :sid), createdAt = if_not_exists(createdAt, :now)',
                ConditionExpression: floorCondition,
                ExpressionAttributeValues: { ':delta': delta, ':now': now, ':ws': set.workspaceId, ':kind': set.kind, ':sid': set.setId, ...floorValues },
              },
            };
      try {
        counter.transactWrite += 1;
        await db.send(new TransactWriteCommand({ TransactItems: [...puts, metaAction] }));
        return result;
      } catch (error) {
        const retryable =
          error instanceof TransactionCanceledException ||
          (error as Error).name === 'TransactionConflictException' ||
          (error as Error).name === 'ProvisionedThroughputExceededException';
        if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
        counter.retries += 1;
        // Another writer changed one of these members (or META is contended): back off with jitter, re-read, re-decide.
        await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
      }
    }
  };

  return {
    counter,
    async apply(set, memberKind, changes, version, now) {
      const total: ApplyResult = { added: 0, removed: 0, unchanged: 0, stale: 0 };
      for (let start = 0; start < changes.length; start += MEMBERS_PER_TRANSACTION) {
        const part = await applyChunk(set, memberKind, changes.slice(start, start + MEMBERS_PER_TRANSACTION), version, now);
        total.added += part.added;
        total.removed += part.removed;
        total.unchanged += part.unchanged;
        total.stale += part.stale;
      }
      return total;
    },
  };
};

/** Set metadata as stored on the META item. */
export interface SetMeta {
  readonly workspaceId: string;
  readonly setKind: SetKind;
  readonly setId: string;
  readonly name?: string;
  readonly memberCount: number;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly lastChangeAt?: string;
  readonly [extra: string]: unknown;
}

/** Partition of the sparse byMember index that lists a workspace's sets of one kind. */
export const setListPk = (workspaceId: string, kind: SetKind): string => `${workspaceId}#SETS#${SET_CODES[kind]}`;

const toMeta = (item: Record<string, unknown>): SetMeta => ({
  ...item,
  workspaceId: item.workspaceId as string,
  setKind: item.setKind as SetKind,
  setId: item.setId as string,
  memberCount: (item.memberCount as number | undefined) ?? 0,
});

/** Reads of sets and members, shared by the cohort and segment read APIs. */
export const membershipReads = (db: DynamoDBDocumentClient, table: string) => ({
  /**
   * Creates or renames a set. `createdAt` keeps the first value (if_not_exists), the name follows
   * the newest call, and the META item joins the workspace's set list in the byMember index.
   */
  async upsertSet(set: SetRef, fields: { name?: string; createdAt: string; now: string; extra?: Record<string, unknown>; keepName?: boolean }) {
    const extra = Object.entries(fields.extra ?? {});
    const nameClause = fields.name === undefined ? '' : fields.keepName ? ', #name = if_not_exists(#name, :name)' : ', #name = :name';
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: setPk(set), sk: 'META' },
        UpdateExpression:
          `SET workspaceId = :ws, setKind = :kind, setId = :sid, createdAt = if_not_exists(createdAt, :created), updatedAt = :now, memberCount = if_not_exists(memberCount, :zero), gsi1pk = :list, gsi1sk = :sid${nameClause}` +
          extra.map((_, index) => `, #x${index} = :x${index}`).join(''),
        ExpressionAttributeNames: {
          ...(fields.name === undefined ? {} : { '#name': 'name' }),
          ...Object.fromEntries(extra.map(([key], index) => [`#x${index}`, key])),
        },
        ExpressionAttributeValues: {
          ':ws': set.workspaceId,
          ':kind': set.kind,
          ':sid': set.setId,
          ':created': fields.createdAt,
          ':now': fields.now,
          ':zero': 0,
          ':list': setListPk(set.workspaceId, set.kind),
          ...(fields.name === undefined ? {} : { ':name': fields.name }),
          ...Object.fromEntries(extra.map(([, value], index) => [`:x${index}`, value])),
        },
      }),
    );
  },

  /**
   * Renames a set only if `version` is newer than the version of the current name, so a late,
   * older rename can never overwrite a newer one. A provisional name (set by `upsertSet` without a
   * version) always yields. Returns false when the rename was older and ignored.
   */
  async renameSet(set: SetRef, name: string, version: string, now: string): Promise<boolean> {
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: setPk(set), sk: 'META' },
          UpdateExpression: 'SET #name = :name, nameVersion = :v, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(nameVersion) OR nameVersion < :v)',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': name, ':v': version, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  },

  async getSet(set: SetRef): Promise<SetMeta | undefined> {
    const result = await db.send(new GetCommand({ TableName: table, Key: { pk: setPk(set), sk: 'META' }, ConsistentRead: true }));
    return result.Item ? toMeta(result.Item) : undefined;
  },

  /** A workspace's sets of one kind, ordered by id, one page. */
  async listSets(workspaceId: string, kind: SetKind, limit: number, startKey?: Record<string, unknown>) {
    const result = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'byMember',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': setListPk(workspaceId, kind) },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { sets: (result.Items ?? []).map(toMeta), nextKey: result.LastEvaluatedKey };
  },

  /** Current members of a set (sparse bySet index: tombstones never appear), ordered by member id. */
  async listMembers(set: SetRef, limit: number, startKey?: Record<string, unknown>) {
    const result = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'bySet',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': setPk(set) },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      members: (result.Items ?? []).map((item) => ({ memberId: item.memberId as string, version: item.version as string, changedAt: item.changedAt as string })),
      nextKey: result.LastEvaluatedKey,
    };
  },

  /** The sets a member is in now, of one kind: one Query on the sparse byMember index. */
  async setsOfMember(workspaceId: string, memberKind: MemberKind, memberId: string, kind: SetKind) {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await db.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byMember',
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :kind)',
          ExpressionAttributeValues: { ':pk': memberIndexPk(workspaceId, memberKind, memberId), ':kind': `${SET_CODES[kind]}#` },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return items.map((item) => ({ setId: item.setId as string, version: item.version as string, changedAt: item.changedAt as string }));
  },
});

export type MembershipReads = ReturnType<typeof membershipReads>;
