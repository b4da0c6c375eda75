/**
 * The last accepted and last refused request of each partner connection, per workspace, in the
 * idempotency table (operational data that expires): `id` = `CONN#<workspaceId>#<connection>#accepted|refused`
 * with `at`, `status` and the refusal's reason, expiring after 30 days. A newer event replaces an
 * older one (conditional on `at`); each warm process writes a given item at most once per
 * `MIN_WRITE_INTERVAL_MS`, so a busy connection costs a write every few seconds, not one per request.
 */
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionEvent, ConnectionLastSeen, ConnectionLogReader, ConnectionRecorder } from '../domain/ports';
import { whenCondition } from './dynamo/conditions';

export const MIN_WRITE_INTERVAL_MS = 5_000;
const RETENTION_SECONDS = 30 * 24 * 3600;
const OUTCOMES = ['accepted', 'refused'] as const;

const itemId = (workspaceId: string, connection: string, outcome: string) => `CONN#${workspaceId}#${connection}#${outcome}`;

const lastWrite = new Map<string, number>();

/** Records one event unless this process wrote the same item less than the interval ago (by the event's own time). */
const record = async (db: DynamoDBDocumentClient, table: string, ...[workspaceId, connection, outcome, event]: Parameters<ConnectionRecorder['record']>): Promise<void> => {
  const id = itemId(workspaceId, connection, outcome);
  const previous = lastWrite.get(`${table}#${id}`);
  if (previous !== undefined && event.atMs - previous < MIN_WRITE_INTERVAL_MS) return;
  if (lastWrite.size > 10_000) lastWrite.clear();
  lastWrite.set(`${table}#${id}`, event.atMs);
  const at = new Date(event.atMs).toISOString();
  const values = { ':at': at, ':status': event.status, ':expiration': Math.floor(event.atMs / 1000) + RETENTION_SECONDS, ':reason': event.reason?.slice(0, 300) ?? '' };
  // UpdateItem (the ingest functions' grant on this table is UpdateItem of `CONN#…` items only).
  await whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { id },
        UpdateExpression: 'SET #at = :at, #status = :status, #expiration = :expiration, #reason = :reason',
        ConditionExpression: 'attribute_not_exists(id) OR #at < :at',
        ExpressionAttributeNames: { '#at': 'at', '#status': 'status', '#expiration': 'expiration', '#reason': 'reason' },
        ExpressionAttributeValues: values,
      }),
    ),
  );
};

/** The last events of the given connections: one BatchGetItem (2 items per connection). */
const lastSeen = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, connections: readonly string[]): Promise<Record<string, ConnectionLastSeen>> => {
  const keys = connections.flatMap((connection) => OUTCOMES.map((outcome) => ({ id: itemId(workspaceId, connection, outcome) })));
  const result = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
  const seen: Record<string, { accepted?: ConnectionEvent; refused?: ConnectionEvent }> = {};
  for (const item of result.Responses?.[table] ?? []) {
    const [, , connection, outcome] = String(item.id).split('#');
    if (!connection || (outcome !== 'accepted' && outcome !== 'refused')) continue;
    (seen[connection] ??= {})[outcome] = { at: String(item.at), status: Number(item.status), ...(typeof item.reason === 'string' && item.reason !== '' ? { reason: item.reason } : {}) };
  }
  return seen;
};

export const dynamoConnectionLog = (db: DynamoDBDocumentClient, table: string): ConnectionLogReader & ConnectionRecorder => ({
  lastSeen: (workspaceId, connections) => lastSeen(db, table, workspaceId, connections),
  record: (...args) => record(db, table, ...args),
});
