/**
 * Reads of sets and their members (cohorts table), shared by the cohort read API, the AB Tasty
 * pull API and the identity rules: a set's META, a workspace's sets, a set's members (sparse bySet
 * index) and a member's sets (sparse byMember index: one Query, the AB Tasty hot path).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MemberKind, SetKind, SetRef } from '../domain/membership';
import { decodeAll, memberListingItem, membershipListingItem, setMetaItem, type SetMetaItem } from './dynamo/items';
import { memberIndexPk, setIndexSkPrefix, setListPk, setMetaKey, setPk } from './dynamo/keys';
import { queryAll, queryPage, type StartKey } from './dynamo/query';

/** Set metadata as stored on the META item (extra attributes included). */
export type SetMeta = SetMetaItem;

const getSet = async (db: DynamoDBDocumentClient, table: string, set: SetRef): Promise<SetMeta | undefined> => {
  const result = await db.send(new GetCommand({ TableName: table, Key: setMetaKey(set), ConsistentRead: true }));
  return result.Item ? setMetaItem.parse(result.Item) : undefined;
};

/** A workspace's sets of one kind, ordered by id, one page. */
const listSets = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, kind: SetKind, limit: number, startKey?: StartKey) => {
  const page = await queryPage(
    db,
    { TableName: table, IndexName: 'byMember', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': setListPk(workspaceId, kind) } },
    limit,
    startKey,
  );
  return { sets: decodeAll(setMetaItem, page.items), nextKey: page.nextKey };
};

/** Current members of a set (sparse bySet index: tombstones never appear), ordered by member id. */
const listMembers = async (db: DynamoDBDocumentClient, table: string, set: SetRef, limit: number, startKey?: StartKey) => {
  const page = await queryPage(
    db,
    { TableName: table, IndexName: 'bySet', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': setPk(set) } },
    limit,
    startKey,
  );
  return { members: decodeAll(memberListingItem, page.items), nextKey: page.nextKey };
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
