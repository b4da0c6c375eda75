/**
 * Import reports in the cohorts table, next to the cohort they changed:
 * `<set pk>` / `IMPORT#<importId>`. Parts of one import add their counts with one UpdateItem each,
 * conditioned on the part number not being in `partsApplied` yet, so a redelivered part is
 * counted once. Request-level facts (received counts, duplicates, conflicts) are the same in every
 * part and are simply SET. The item carries no GSI keys, so member and set listings never see it.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportReportKey, ImportReports } from '../domain/cohort-matching';
import type { ReceivedCounts } from '../schemas/cohort-import';
import { setPk } from './membership-store';
import type { StoredImportReport } from '../domain/cohort-reads';

/** The stored report, as read back (missing counters read as 0): the domain's type. */
export type { StoredImportReport } from '../domain/cohort-reads';

const reportKey = (key: ImportReportKey) => ({ pk: setPk(key.set), sk: `IMPORT#${key.importId}` });

// Every attribute goes through a name placeholder: several (e.g. `count`-like words) are DynamoDB reserved words.
type Fields = Record<string, unknown>;
const updateExpression = (sets: Fields, adds: Fields, extraSet?: string): string =>
  [
    `SET ${Object.keys(sets).map((name) => `#${name} = :${name}`).join(', ')}${extraSet ? `, ${extraSet.replace(/^SET /, '')}` : ''}`,
    `ADD ${Object.keys(adds).map((name) => `#${name} :${name}`).join(', ')}`,
  ].join(' ');
const names = (...groups: Fields[]): Record<string, string> =>
  Object.fromEntries(groups.flatMap((group) => Object.keys(group).map((name) => [`#${name}`, name])));
const values = (...groups: Fields[]): Record<string, unknown> =>
  Object.fromEntries(groups.flatMap((group) => Object.entries(group).map(([name, value]) => [`:${name}`, value])));

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

export const dynamoImportReports = (db: DynamoDBDocumentClient, table: string) => {
  const reports: ImportReports & { get(key: ImportReportKey): Promise<StoredImportReport | undefined> } = {
    async recordPart(key, outcome) {
      const sets = {
        importId: key.importId,
        cohortId: key.set.setId,
        workspaceId: key.set.workspaceId,
        kind: outcome.kind,
        partner: outcome.partner,
        receivedAt: outcome.receivedAt,
        parts: outcome.parts,
        received: outcome.received,
        duplicate: outcome.duplicate,
        conflicts: outcome.conflicts,
        conflictSamples: outcome.conflictSamples,
        updatedAt: outcome.now,
      };
      const adds = {
        partsApplied: new Set([outcome.part]),
        matched: outcome.matched,
        unmatched: outcome.unmatched,
        added: outcome.result.added,
        removed: outcome.result.removed,
        unchanged: outcome.result.unchanged,
        stale: outcome.result.stale,
      };
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: reportKey(key),
            UpdateExpression: updateExpression(sets, adds, 'SET #unmatchedSamples = list_append(if_not_exists(#unmatchedSamples, :empty), :samples)'),
            // The part's counts are added once: a redelivered part finds its number in the set.
            ConditionExpression: 'attribute_not_exists(#partsApplied) OR NOT contains(#partsApplied, :part)',
            ExpressionAttributeNames: { ...names(sets, adds), '#unmatchedSamples': 'unmatchedSamples' },
            ExpressionAttributeValues: { ...values(sets, adds), ':empty': [], ':samples': outcome.unmatchedSamples, ':part': outcome.part },
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },

    async markFailed(key, part, code, now) {
      const sets = {
        importId: key.importId,
        cohortId: key.set.setId,
        workspaceId: key.set.workspaceId,
        failed: true,
        failureReason: code,
        updatedAt: now,
      };
      const adds = { failedParts: new Set([part]) };
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: reportKey(key),
          UpdateExpression: updateExpression(sets, adds),
          ExpressionAttributeNames: names(sets, adds),
          ExpressionAttributeValues: values(sets, adds),
        }),
      );
    },

    async get(key) {
      const result = await db.send(new GetCommand({ TableName: table, Key: reportKey(key), ConsistentRead: true }));
      const item = result.Item;
      if (!item) return undefined;
      const received = (item.received as ReceivedCounts | undefined) ?? { user_ids: 0, device_ids: 0, aliases: 0 };
      return {
        importId: item.importId as string,
        cohortId: item.cohortId as string,
        kind: item.kind as StoredImportReport['kind'],
        partner: item.partner as string | undefined,
        receivedAt: item.receivedAt as string | undefined,
        parts: item.parts as number | undefined,
        partsApplied: [...((item.partsApplied as Set<number> | undefined) ?? [])].map(Number).sort((a, b) => a - b),
        received,
        duplicate: num(item.duplicate),
        conflicts: num(item.conflicts),
        conflictSamples: (item.conflictSamples as string[] | undefined) ?? [],
        matched: num(item.matched),
        unmatched: num(item.unmatched),
        unmatchedSamples: (item.unmatchedSamples as string[] | undefined) ?? [],
        added: num(item.added),
        removed: num(item.removed),
        unchanged: num(item.unchanged),
        stale: num(item.stale),
        failed: item.failed === true,
        failureReason: item.failureReason as string | undefined,
        updatedAt: item.updatedAt as string | undefined,
      };
    },
  };
  return reports;
};

export type DynamoImportReports = ReturnType<typeof dynamoImportReports>;
