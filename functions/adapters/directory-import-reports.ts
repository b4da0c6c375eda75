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

/**
 * Stored attribute names: counts and samples get their own names (`importCounts`, …), since the
 * cohorts table's import reports already use `conflictSamples` for a list of strings (Athena reads
 * one column type per name: docs/athena.sql).
 */
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
  importCounts: z._default(z.record(z.string(), z.number()), {}),
  importConflictSamples: z._default(z.array(z.object({ line: z.number(), identifier: z.string(), reason: z.string() })), []),
  importRejectSamples: z._default(z.array(z.object({ line: z.number(), reason: z.string() })), []),
  failureReason: z.optional(z.string()),
});

export const dynamoDirectoryImportReports = (db: DynamoDBDocumentClient, table: string): DirectoryImportReports => ({
  async put(report) {
    const { counts, conflictSamples, rejectSamples, ...fields } = report;
    const key = directoryImportKey(report.workspaceId, Date.parse(report.exportStartedAt), report.importId);
    const item = { ...key, ...fields, importCounts: counts, importConflictSamples: conflictSamples, importRejectSamples: rejectSamples };
    await db.send(new PutCommand({ TableName: table, Item: item }));
  },

  async list(workspaceId, limit, startKey) {
    const page = await queryPage(
      db,
      { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': directoryImportsPk(workspaceId) }, ScanIndexForward: false },
      limit,
      startKey,
    );
    const items: DirectoryImportReport[] = decodeAll(reportItem, page.items).map(({ importCounts, importConflictSamples, importRejectSamples, ...fields }) => ({
      ...fields,
      counts: importCounts,
      conflictSamples: importConflictSamples,
      rejectSamples: importRejectSamples,
    }));
    return { items, ...(page.nextKey ? { nextKey: page.nextKey } : {}) };
  },
});
