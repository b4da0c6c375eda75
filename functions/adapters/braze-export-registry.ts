/**
 * The Braze export registry (domain/ports.ts `BrazeExportRegistry`) in the workspaces table: one item
 * `BRAZEEXPORT` / `WS#<id>` per workspace that exports a Braze segment, holding its segment id,
 * period, the time of the last request run and what it did. One Query lists them all (no Scan of the
 * workspaces); a run is taken with a conditional update, so overlapping runs ask Braze once.
 */
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { BrazeExportEntry, BrazeExportRegistry } from '../domain/ports';
import { whenCondition } from './dynamo/conditions';
import { decodeAll } from './dynamo/items';
import { BRAZE_EXPORT_PK, brazeExportEntryKey } from './dynamo/keys';
import { queryAll } from './dynamo/query';

const entryItem = z.object({
  workspaceId: z.string(),
  segmentId: z.string(),
  everyMs: z.number(),
  lastRequestedAt: z.optional(z.number()),
  lastOutcome: z.optional(z.string()),
});

export const dynamoBrazeExportRegistry = (db: DynamoDBDocumentClient, table: string): BrazeExportRegistry => ({
  async put(entry) {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: brazeExportEntryKey(entry.workspaceId),
        UpdateExpression: 'SET workspaceId = :ws, segmentId = :segment, everyMs = :every',
        ExpressionAttributeValues: { ':ws': entry.workspaceId, ':segment': entry.segmentId, ':every': entry.everyMs },
      }),
    );
  },

  async list(): Promise<BrazeExportEntry[]> {
    const items = await queryAll(db, { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': BRAZE_EXPORT_PK }, ConsistentRead: true });
    return decodeAll(entryItem, items);
  },

  claimRun: (workspaceId, dueBefore, now) =>
    whenCondition(() =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: brazeExportEntryKey(workspaceId),
          UpdateExpression: 'SET lastRequestedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastRequestedAt) OR lastRequestedAt <= :due)',
          ExpressionAttributeValues: { ':now': now, ':due': dueBefore },
        }),
      ),
    ),

  async recordOutcome(workspaceId, outcome, lastRequestedAt) {
    const requested = lastRequestedAt === undefined ? ' REMOVE lastRequestedAt' : '';
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: brazeExportEntryKey(workspaceId),
        UpdateExpression: `SET lastOutcome = :outcome${lastRequestedAt !== undefined ? ', lastRequestedAt = :at' : ''}${requested}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':outcome': outcome.slice(0, 500), ...(lastRequestedAt !== undefined ? { ':at': lastRequestedAt } : {}) },
      }),
    ).catch((error: unknown) => {
      // The workspace stopped exporting meanwhile: nothing to record.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    });
  },
});

/** Test and script hook: the item as stored (PutItem), e.g. to seed a due entry. */
export const putBrazeExportEntry = (db: DynamoDBDocumentClient, table: string, entry: BrazeExportEntry) =>
  db.send(new PutCommand({ TableName: table, Item: { ...brazeExportEntryKey(entry.workspaceId), ...entry } }));
