/** A set's member count as stored: META's `memberCount` (kept from before count shards) plus every `COUNT#` shard's. */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setPk } from '../../functions/adapters/dynamo/keys';
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
  return (result.Items ?? []).filter((item) => item.sk === 'META' || (item.sk as string).startsWith('COUNT#')).reduce((sum, item) => sum + ((item.memberCount as number | undefined) ?? 0), 0);
};
