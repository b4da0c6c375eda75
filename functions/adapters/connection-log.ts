/**
 * The last accepted and last refused request of each partner connection, per workspace, in the
 * workspaces table: `CONN#<workspaceId>` / `<connection>#accepted|refused` with `at`, `status` and
 * the refusal's reason. A newer event replaces an older one (conditional on `at`); each warm process
 * writes a given item at most once per `MIN_WRITE_INTERVAL_MS`, so a busy connection costs a write
 * every few seconds, not one per request.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionEvent, ConnectionLogReader } from '../domain/ports';
import { whenCondition } from './dynamo/conditions';

export const MIN_WRITE_INTERVAL_MS = 5_000;

const pk = (workspaceId: string) => `CONN#${workspaceId}`;

export type ConnectionOutcome = 'accepted' | 'refused';

const lastWrite = new Map<string, number>();

/** Records one event unless this process wrote the same item less than the interval ago (by the event's own time). */
export const recordConnectionEvent = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, connection: string, outcome: ConnectionOutcome, event: ConnectionEvent & { atMs: number }): Promise<void> => {
  const sk = `${connection}#${outcome}`;
  const cacheKey = `${table}#${workspaceId}#${sk}`;
  const previous = lastWrite.get(cacheKey);
  if (previous !== undefined && event.atMs - previous < MIN_WRITE_INTERVAL_MS) return;
  if (lastWrite.size > 10_000) lastWrite.clear();
  lastWrite.set(cacheKey, event.atMs);
  const item = { pk: pk(workspaceId), sk, at: event.at, status: event.status, ...(event.reason !== undefined ? { reason: event.reason.slice(0, 300) } : {}) };
  await whenCondition(() => db.send(new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk) OR #at < :at', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':at': event.at } })));
};

export const dynamoConnectionLog = (db: DynamoDBDocumentClient, table: string): ConnectionLogReader => ({
  async lastSeen(workspaceId) {
    const result = await db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk(workspaceId) } }));
    const seen: Record<string, { accepted?: ConnectionEvent; refused?: ConnectionEvent }> = {};
    for (const item of result.Items ?? []) {
      const [connection, outcome] = String(item.sk).split('#');
      if (!connection || (outcome !== 'accepted' && outcome !== 'refused')) continue;
      const event: ConnectionEvent = { at: String(item.at), status: Number(item.status), ...(typeof item.reason === 'string' ? { reason: item.reason } : {}) };
      (seen[connection] ??= {})[outcome] = event;
    }
    return seen;
  },
});
