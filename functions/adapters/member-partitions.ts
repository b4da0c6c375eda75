/**
 * Reading a set's members across its partitions (adapters/membership-store.ts): the set's own
 * partition first (members written by earlier versions, until moved), then member partitions
 * 00…31, each in member-id order. A page's cursor is the last key read: its `pk` names the
 * partition, so the next page continues there and nothing is skipped or repeated. (While a member
 * moves from the old partition to its new one, a listing that passes both may show it twice, never
 * not at all: the old partition is read first.)
 */
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SetRef } from '../domain/membership';
import { MEMBER_SK_PREFIX, memberPartitionPks, setPk } from './dynamo/keys';
import { queryPage, type Page, type StartKey } from './dynamo/query';

/** Every partition that may hold a set's members, in listing order. */
export const memberPartitionsOf = (set: SetRef): string[] => [setPk(set), ...memberPartitionPks(set)];

/** The query of one partition's current members (tombstones filtered out), with `extra` options. */
const membersQuery = (pk: string, extra: Partial<QueryCommandInput>): QueryCommandInput => ({
  KeyConditionExpression: 'pk = :pk AND begins_with(sk, :member)',
  FilterExpression: '#status = :isMember',
  ...extra,
  TableName: extra.TableName ?? '',
  ExpressionAttributeNames: { '#status': 'status', ...extra.ExpressionAttributeNames },
  ExpressionAttributeValues: { ':pk': pk, ':member': MEMBER_SK_PREFIX, ':isMember': 'member' },
});

/**
 * Current members of a set, at most `limit` items read, from `startKey` (a key of any of its
 * partitions; a cursor from before member partitions names the set's own partition and continues).
 * `nextKey` is absent only when every partition has been read to its end.
 */
export const membersPage = async (
  db: DynamoDBDocumentClient,
  input: Partial<QueryCommandInput> & { TableName: string },
  set: SetRef,
  limit: number,
  startKey?: StartKey,
): Promise<Page> => {
  const partitions = memberPartitionsOf(set);
  let index = startKey ? Math.max(0, partitions.indexOf(String(startKey.pk))) : 0;
  let from = startKey;
  const items: Record<string, unknown>[] = [];
  for (;;) {
    const pk = partitions[index] as string;
    const page = await queryPage(db, membersQuery(pk, input), limit - items.length, from);
    items.push(...page.items);
    if (page.nextKey) return { items, nextKey: page.nextKey };
    index += 1;
    if (index >= partitions.length) return { items };
    // The start of the next partition: every member key sorts after `M#`.
    from = { pk: partitions[index], sk: MEMBER_SK_PREFIX };
    if (items.length >= limit) return { items, nextKey: from };
  }
};
