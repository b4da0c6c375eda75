/**
 * Which partner keys each workspace has seen (policy "any" accepts every key but records it), as
 * items `WS#<id>` / `PARTNERKEY#<partner>#<fingerprint>` in the workspaces table, next to the
 * workspace's META item. Only a 64-bit SHA-256 fingerprint is stored, never the key.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeAll, partnerKeySeenItem } from './dynamo/items';
import { PARTNER_KEY_SK_PREFIX, partnerKeySeenKey, workspaceKey } from './dynamo/keys';
import { queryAll } from './dynamo/query';
import type { PartnerKeyLog } from '../domain/ports';

export const dynamoPartnerKeyLog = (db: DynamoDBDocumentClient, table: string) => {
  const log: PartnerKeyLog & {
    list(workspaceId: string): Promise<{ partner: string; fingerprint: string; firstSeenAt: string; lastSeenAt: string }[]>;
  } = {
    async record(workspaceId, partner, fingerprint, now) {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: partnerKeySeenKey(workspaceId, partner, fingerprint),
          UpdateExpression: 'SET partner = :p, fingerprint = :f, firstSeenAt = if_not_exists(firstSeenAt, :now), lastSeenAt = :now',
          ExpressionAttributeValues: { ':p': partner, ':f': fingerprint, ':now': now },
        }),
      );
    },
    async list(workspaceId) {
      const items = await queryAll(db, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': workspaceKey(workspaceId).pk, ':prefix': PARTNER_KEY_SK_PREFIX },
      });
      return decodeAll(partnerKeySeenItem, items);
    },
  };
  return log;
};
