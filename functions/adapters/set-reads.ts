/**
 * Reads of sets and their members (cohorts table), shared by the cohort read API, the AB Tasty
 * pull API and the identity rules: a set's META with its count (META's kept `memberCount`, the old
 * `COUNT#` shards and the member partitions' counts), a workspace's sets, a set's members (partition by partition)
 * and a member's sets (sparse byMember index: one Query, the AB Tasty hot path).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MemberKind, SetKind, SetRef } from '../domain/membership';
import { countShardItem, decodeAll, memberListingItem, membershipListingItem, setMetaItem, type MemberListing, type SetMetaItem } from './dynamo/items';
import { batchGetAll } from './dynamo/batch-get';
import { COUNT_SK_PREFIX, MEMBER_SHARDS, memberIndexPk, setIndexSkPrefix, setListPk, setMetaKey, setPk, shardKey } from './dynamo/keys';
import { membersPage } from './member-partitions';
import { inLanes } from '../shared/lanes';
import { queryAll, queryPage, type StartKey } from './dynamo/query';

/** Set metadata as stored on the META item (extra attributes included). */
export type SetMeta = SetMetaItem;

/**
 * The set's count beyond META's: every member partition's `SHARD` count (one consistent BatchGet)
 * plus the `COUNT#` shards earlier versions kept in the set's own partition (one Query, empty for
 * sets created since).
 */
const shardCount = async (db: DynamoDBDocumentClient, table: string, set: SetRef): Promise<number> => {
  const [legacy, shards] = await Promise.all([
    queryAll(db, {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :count)',
      ExpressionAttributeValues: { ':pk': setPk(set), ':count': COUNT_SK_PREFIX },
      ConsistentRead: true,
    }),
    batchGetAll(db, table, Array.from({ length: MEMBER_SHARDS[set.kind] }, (_, shard) => shardKey(set, shard)), { consistency: 'strong' }),
  ]);
  return decodeAll(countShardItem, [...legacy, ...shards]).reduce((sum, item) => sum + item.memberCount, 0);
};

/** A META item with its full count: the `memberCount` it kept from before the shards plus theirs. */
const withCount = async (db: DynamoDBDocumentClient, table: string, meta: SetMeta): Promise<SetMeta> => ({
  ...meta,
  memberCount: meta.memberCount + (await shardCount(db, table, { workspaceId: meta.workspaceId, kind: meta.setKind, setId: meta.setId })),
});

const getSet = async (db: DynamoDBDocumentClient, table: string, set: SetRef): Promise<SetMeta | undefined> => {
  const result = await db.send(new GetCommand({ TableName: table, Key: setMetaKey(set), ConsistentRead: true }));
  return result.Item ? withCount(db, table, setMetaItem.parse(result.Item)) : undefined;
};

/** Count Queries in flight at once when a page of sets is listed. */
const COUNT_LANES = 8;

/** A workspace's sets of one kind, ordered by id, one page, each with its summed count. */
const listSets = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, kind: SetKind, limit: number, startKey?: StartKey) => {
  const page = await queryPage(
    db,
    { TableName: table, IndexName: 'byMember', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': setListPk(workspaceId, kind) } },
    limit,
    startKey,
  );
  const sets = decodeAll(setMetaItem, page.items);
  await inLanes([...sets.keys()], COUNT_LANES, async (index) => {
    sets[index] = await withCount(db, table, sets[index] as SetMeta);
  });
  return { sets, nextKey: page.nextKey };
};

/**
 * A cursor from before members were read from the base table (a bySet key) names the same item by
 * its `pk` and `sk`: keep those, so a client paging across the change loses nothing.
 */
const baseKey = (startKey: StartKey | undefined): StartKey | undefined => (startKey ? { pk: startKey.pk, sk: startKey.sk } : undefined);

/**
 * Current members of a set, at most `limit`, partition by partition (member-partitions.ts; each in
 * member-id order). Tombstones are read and skipped, so several Queries may fill one page. The
 * cursor is the last key read, so paging neither skips nor repeats a member.
 */
const listMembers = async (db: DynamoDBDocumentClient, table: string, set: SetRef, limit: number, startKey?: StartKey) => {
  const members: MemberListing[] = [];
  let nextKey = baseKey(startKey);
  do {
    const page = await membersPage(db, { TableName: table }, set, limit - members.length, nextKey);
    members.push(...decodeAll(memberListingItem, page.items));
    nextKey = page.nextKey;
  } while (nextKey && members.length < limit);
  return { members, nextKey };
};

/** The sets a member is in now, of one kind: one Query on the sparse byMember index. */
const setsOfMember = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, memberKind: MemberKind, memberId: string, kind: SetKind) => {
  const items = await queryAll(db, {
    TableName: table,
    IndexName: 'byMember',
    KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :kind)',
    ExpressionAttributeValues: { ':pk': memberIndexPk(workspaceId, memberKind, memberId), ':kind': setIndexSkPrefix(kind) },
  });
  return decodeAll(membershipListingItem, items);
};

export const dynamoSetReads = (db: DynamoDBDocumentClient, table: string) => ({
  getSet: (set: SetRef) => getSet(db, table, set),
  listSets: (workspaceId: string, kind: SetKind, limit: number, startKey?: StartKey) => listSets(db, table, workspaceId, kind, limit, startKey),
  listMembers: (set: SetRef, limit: number, startKey?: StartKey) => listMembers(db, table, set, limit, startKey),
  setsOfMember: (workspaceId: string, memberKind: MemberKind, memberId: string, kind: SetKind) => setsOfMember(db, table, workspaceId, memberKind, memberId, kind),
});

export type SetReadStore = ReturnType<typeof dynamoSetReads>;
