/**
 * First receive time of each Heap sync page, in the idempotency table: item
 * `heappage#<workspace>#<sync task>#<page>` with `firstReceivedAt` (epoch ms), expiring (TTL
 * `expiration`) after as long as the heapSync worker remembers processed messages (7 days). One
 * UpdateItem per page request: `if_not_exists` keeps the first time, `ALL_NEW` returns it, so a
 * re-sent page is versioned like the original. Powertools' records use other ids, so they never collide.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { firstReceivedItem } from './dynamo/items';
import { heapPageId } from './dynamo/keys';

const PAGE_MEMORY_SECONDS = 7 * 24 * 3600;

export const dynamoHeapPageLog =
  (db: DynamoDBDocumentClient, table: string) =>
  async (pageKey: string, receivedAt: number): Promise<number> => {
    const result = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { id: heapPageId(pageKey) },
        UpdateExpression: 'SET firstReceivedAt = if_not_exists(firstReceivedAt, :at), expiration = if_not_exists(expiration, :expiration)',
        ExpressionAttributeValues: { ':at': receivedAt, ':expiration': Math.floor(receivedAt / 1000) + PAGE_MEMORY_SECONDS },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes ? firstReceivedItem.parse(result.Attributes).firstReceivedAt : receivedAt;
  };
