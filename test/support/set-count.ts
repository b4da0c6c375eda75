/** A set's member count as stored: META's `memberCount`, the old `COUNT#` shards and every member partition's `SHARD` count. */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MEMBER_SHARDS, setPk, shardKey } from '../../functions/adapters/dynamo/keys';
import type { SetRef } from '../../functions/domain/membership';

export const storedCount = async (doc: DynamoDBDocumentClient, table: string, set: SetRef): Promise<number> => {
  const result = await doc.send(
    new QueryCommand({
      TableName: table,
      // META sorts right after every `COUNT#…` shard, before the `M#` members.
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :count AND :meta',
      ExpressionAttributeValues: { ':pk': setPk(set), ':meta': 'META', ':count': 'COUNT#' },
      ProjectionExpression: 'sk, memberCount',
      ConsistentRead: true,
    }),
  );
  const old = (result.Items ?? []).filter((item) => item.sk === 'META' || (item.sk as string).startsWith('COUNT#'));
  const shards = await Promise.all(Array.from({ length: MEMBER_SHARDS[set.kind] }, (_, shard) => doc.send(new GetCommand({ TableName: table, Key: shardKey(set, shard), ConsistentRead: true }))));
  return [...old, ...shards.map((shard) => shard.Item ?? {})].reduce((sum, item) => sum + ((item.memberCount as number | undefined) ?? 0), 0);
};
