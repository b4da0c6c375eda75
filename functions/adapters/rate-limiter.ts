/**
 * Fixed-window request counter in the idempotency table: item `rate#<workspace>#<windowStart>`,
 * expiring (TTL attribute `expiration`) a window after it ends. One conditional UpdateItem per
 * request: the ADD happens only while the count is below the limit, so a refused request does not
 * consume anything and the count never exceeds the limit. Powertools idempotency records use
 * other ids (`<function>#<hash>`), so the two never collide.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rateWindow, type RateLimitSettings } from '../domain/rate-limit';
import { isConditionFailure } from './dynamo/conditions';
import { windowCountItem } from './dynamo/items';
import { rateWindowId } from './dynamo/keys';
import type { RateLimiter } from '../domain/ports';

export const dynamoRateLimiter = (db: DynamoDBDocumentClient, table: string, settings: RateLimitSettings): RateLimiter => ({
  async hit(workspaceId, nowMs) {
    const window = rateWindow(nowMs, settings.windowSeconds);
    try {
      const result = await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { id: rateWindowId(workspaceId, window.start) },
          UpdateExpression: 'ADD #count :one SET expiration = :expiration',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':limit': settings.limit, ':expiration': window.end + settings.windowSeconds },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = result.Attributes ? windowCountItem.parse(result.Attributes).count : 1;
      return { allowed: true, limit: settings.limit, remaining: Math.max(0, settings.limit - count), resetAt: window.end };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { allowed: false, limit: settings.limit, remaining: 0, resetAt: window.end };
    }
  },
});
