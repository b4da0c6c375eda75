/**
 * DynamoDB implementation of `WorkspaceStore`. Items in the workspaces table:
 * - `WS#<id>` / `META`: the workspace record;
 * - `NAME#<name>` / `NAME`: unique-name claim;
 * - `CRED#<kind>#<sha256>` / `CRED`: credential index, so authentication is one GetItem by hash.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { WorkspaceStore } from '../domain/ports';
import { ownValue } from '../shared/own';
import { HASHED_CREDENTIALS, workspaceRecordSchema, type WorkspaceRecord } from '../schemas/workspace';

/** At most this many Heap id_tokens are remembered per workspace. */
export const MAX_HEAP_ID_TOKENS_SEEN = 50;

const metaKey = (workspaceId: string) => ({ pk: `WS#${workspaceId}`, sk: 'META' });
const nameKey = (name: string) => ({ pk: `NAME#${name}`, sk: 'NAME' });
const credKey = (kind: string, hash: string) => ({ pk: `CRED#${kind}#${hash}`, sk: 'CRED' });

const toRecord = (item: Record<string, unknown> | undefined): WorkspaceRecord | undefined =>
  item ? workspaceRecordSchema.parse(item) : undefined;

export const dynamoWorkspaceStore = (db: DynamoDBDocumentClient, table: string): WorkspaceStore => {
  const get = async (workspaceId: string) =>
    toRecord((await db.send(new GetCommand({ TableName: table, Key: metaKey(workspaceId), ConsistentRead: true }))).Item);

  return {
    get,

    async create(record) {
      const notExists = 'attribute_not_exists(pk)';
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: table, Item: { ...metaKey(record.workspaceId), ...record }, ConditionExpression: notExists } },
              { Put: { TableName: table, Item: { ...nameKey(record.name), workspaceId: record.workspaceId }, ConditionExpression: notExists } },
              ...HASHED_CREDENTIALS.map((kind) => ({
                Put: {
                  TableName: table,
                  Item: { ...credKey(kind, record.credentialHashes[kind] ?? ''), workspaceId: record.workspaceId },
                  ConditionExpression: notExists,
                },
              })),
            ],
          }),
        );
        return true;
      } catch (error) {
        // CancellationReasons are in TransactItems order: index 1 is the name claim.
        if (error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') {
          return false;
        }
        throw error;
      }
    },

    async getByName(name) {
      const claim = await db.send(new GetCommand({ TableName: table, Key: nameKey(name), ConsistentRead: true }));
      const workspaceId = claim.Item?.workspaceId as string | undefined;
      return workspaceId ? get(workspaceId) : undefined;
    },

    async findByCredentialHash(kind, hash) {
      const claim = await db.send(new GetCommand({ TableName: table, Key: credKey(kind, hash) }));
      const workspaceId = claim.Item?.workspaceId as string | undefined;
      return workspaceId ? get(workspaceId) : undefined;
    },

    async list() {
      const records: WorkspaceRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: 'sk = :meta',
            ExpressionAttributeValues: { ':meta': 'META' },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) records.push(workspaceRecordSchema.parse(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records.sort((a, b) => a.name.localeCompare(b.name));
    },

    async replaceCredentialHash(workspaceId, kind, oldHash, newHash) {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: table, Key: credKey(kind, oldHash) } },
            {
              Put: {
                TableName: table,
                Item: { ...credKey(kind, newHash), workspaceId },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: table,
                Key: metaKey(workspaceId),
                UpdateExpression: 'SET credentialHashes.#kind = :new',
                // Guards against two concurrent rotations both "succeeding" and leaving an orphan.
                ConditionExpression: 'credentialHashes.#kind = :old',
                ExpressionAttributeNames: { '#kind': kind },
                ExpressionAttributeValues: { ':new': newHash, ':old': oldHash },
              },
            },
          ],
        }),
      );
    },

    async update(workspaceId, changes) {
      const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return;
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: metaKey(workspaceId),
          UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#f${index}`, name])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])),
        }),
      );
    },

    async pinPartnerKey(workspaceId, partner, hash) {
      const result = await db.send(
        new UpdateCommand({
          TableName: table,
          Key: metaKey(workspaceId),
          // if_not_exists keeps the first pinned value: concurrent first uses agree on one winner.
          UpdateExpression: 'SET partnerKeyHashes.#p = if_not_exists(partnerKeyHashes.#p, :h)',
          ExpressionAttributeNames: { '#p': partner },
          ExpressionAttributeValues: { ':h': hash },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return ownValue(result.Attributes?.partnerKeyHashes as Record<string, string> | undefined, partner);
    },

    async recordHeapIdToken(workspaceId, idToken) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: metaKey(workspaceId),
            UpdateExpression: 'SET heapIdTokensSeen = list_append(heapIdTokensSeen, :t)',
            // Bounded: the list lives in the workspace record every request reads (400 KB item limit);
            // tokens beyond the cap are simply not recorded.
            ConditionExpression: 'NOT contains(heapIdTokensSeen, :token) AND size(heapIdTokensSeen) < :max',
            ExpressionAttributeValues: { ':t': [idToken], ':token': idToken, ':max': MAX_HEAP_ID_TOKENS_SEEN },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    },
  };
};
