/**
 * Which partner keys each workspace has seen (policy "any" accepts every key but records it), as
 * items `WS#<id>` / `PARTNERKEY#<partner>#<fingerprint>` in the workspaces table, next to the
 * workspace's META item. Only a 64-bit SHA-256 fingerprint is stored, never the key.
 */
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PartnerKeyLog } from '../domain/cohort-matching';

export const dynamoPartnerKeyLog = (db: DynamoDBDocumentClient, table: string) => {
  const log: PartnerKeyLog & {
    list(workspaceId: string): Promise<{ partner: string; fingerprint: string; firstSeenAt: string; lastSeenAt: string }[]>;
  } = {
    async record(workspaceId, partner, fingerprint, now) {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `WS#${workspaceId}`, sk: `PARTNERKEY#${partner}#${fingerprint}` },
          UpdateExpression: 'SET partner = :p, fingerprint = :f, firstSeenAt = if_not_exists(firstSeenAt, :now), lastSeenAt = :now',
          ExpressionAttributeValues: { ':p': partner, ':f': fingerprint, ':now': now },
        }),
      );
    },
    async list(workspaceId) {
      const result = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `WS#${workspaceId}`, ':prefix': 'PARTNERKEY#' },
        }),
      );
      return (result.Items ?? []).map((item) => ({
        partner: item.partner as string,
        fingerprint: item.fingerprint as string,
        firstSeenAt: item.firstSeenAt as string,
        lastSeenAt: item.lastSeenAt as string,
      }));
    },
  };
  return log;
};
