/**
 * Directory import reports (domain/ports.ts `DirectoryImportReports`) in the cohorts table, in their
 * own partition per workspace: `<ws>#DIRIMPORTS` / `<export start ms, 15 digits>#<importId>`, so a
 * re-run of a file overwrites its report and a page lists the newest exports first. The items carry
 * no index keys: set and member listings never see them.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { DirectoryImportReport, DirectoryImportReports } from '../domain/ports';
import { decodeAll } from './dynamo/items';
import { directoryImportKey, directoryImportsPk } from './dynamo/keys';
import { queryPage } from './dynamo/query';

const reportItem = z.object({
  workspaceId: z.string(),
  importId: z.string(),
  file: z.string(),
  source: z.enum(['cli', 's3', 'url']),
  format: z.string(),
  segmentId: z.optional(z.string()),
  exportStartedAt: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(['running', 'applied', 'failed']),
  counts: z._default(z.record(z.string(), z.number()), {}),
  conflictSamples: z._default(z.array(z.object({ line: z.number(), identifier: z.string(), reason: z.string() })), []),
  rejectSamples: z._default(z.array(z.object({ line: z.number(), reason: z.string() })), []),
  failureReason: z.optional(z.string()),
});

export const dynamoDirectoryImportReports = (db: DynamoDBDocumentClient, table: string): DirectoryImportReports => ({
  async put(report) {
    const key = directoryImportKey(report.workspaceId, Date.parse(report.exportStartedAt), report.importId);
    await db.send(new PutCommand({ TableName: table, Item: { ...key, ...report } }));
  },

  async list(workspaceId, limit, startKey) {
    const page = await queryPage(
      db,
      { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': directoryImportsPk(workspaceId) }, ScanIndexForward: false },
      limit,
      startKey,
    );
    const items: DirectoryImportReport[] = decodeAll(reportItem, page.items);
    return { items, ...(page.nextKey ? { nextKey: page.nextKey } : {}) };
  },
});
