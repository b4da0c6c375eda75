/**
 * Import reports in the cohorts table, next to the cohort they changed:
 * `<set pk>` / `IMPORT#<importId>`. Parts of one import add their counts with one UpdateItem each,
 * conditioned on the part number not being in `partsApplied` yet, so a redelivered part is
 * counted once. Request-level facts (received counts, duplicates, conflicts) are the same in every
 * part and are simply SET. The item carries no GSI keys, so member and set listings never see it.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportFailureCode } from '../domain/import-failures';
import { whenCondition } from './dynamo/conditions';
import { importReportItem } from './dynamo/items';
import { IMPORT_SK_PREFIX, importReportKey, setPk } from './dynamo/keys';
import { assignments, expressionParts } from './dynamo/update-expression';
import type { ImportReportKey, ImportReportReader, ImportReports, PartOutcome, StoredImportReport } from '../domain/ports';
import { IDENTIFIER_FIELDS, UNMATCHED_REASONS, type UnmatchedByReason, type UnmatchedSamplesByReason } from '../domain/unmatched-reasons';

/** The stored report, as read back (missing counters read as 0): the domain's type. */
export type { StoredImportReport } from '../domain/ports';

const reportKey = (key: ImportReportKey) => importReportKey(key.set, key.importId);

/** Unmatched counts by kind and reason as flat counters (`unmatched_<kind>_<reason>`: ADD needs no parent map). */
const reasonCounters = (byReason: UnmatchedByReason = {}): Record<string, number> =>
  Object.fromEntries(
    Object.entries(byReason).flatMap(([field, reasons]) => Object.entries(reasons ?? {}).map(([reason, count]) => [`unmatched_${field}_${reason}`, count ?? 0])),
  );

/** `#rN = list_append(if_not_exists(#rN, :empty), :rN)` per reason with samples (`unmatchedSamples_<reason>`). */
const reasonSamples = (samples: UnmatchedSamplesByReason = {}) => {
  const entries = Object.entries(samples).filter(([, list]) => (list ?? []).length > 0);
  return {
    clauses: entries.map((_, index) => `, #r${index} = list_append(if_not_exists(#r${index}, :empty), :r${index})`).join(''),
    names: Object.fromEntries(entries.map(([reason], index) => [`#r${index}`, `unmatchedSamples_${reason}`])),
    values: Object.fromEntries(entries.map(([, list], index) => [`:r${index}`, list])),
  };
};

/** The unmatched counts and samples by reason of a stored item (attributes absent until a part adds them). */
export const reasonsOfItem = (item: Record<string, unknown>): { unmatchedByReason: UnmatchedByReason; unmatchedSamplesByReason: UnmatchedSamplesByReason } => {
  const unmatchedByReason: UnmatchedByReason = {};
  const unmatchedSamplesByReason: UnmatchedSamplesByReason = {};
  for (const field of Object.values(IDENTIFIER_FIELDS)) {
    for (const reason of UNMATCHED_REASONS) {
      const count = item[`unmatched_${field}_${reason}`];
      if (typeof count === 'number') (unmatchedByReason[field] ??= {})[reason] = count;
    }
  }
  for (const reason of UNMATCHED_REASONS) {
    const list = item[`unmatchedSamples_${reason}`];
    if (Array.isArray(list)) unmatchedSamplesByReason[reason] = list.filter((value): value is string => typeof value === 'string');
  }
  return { unmatchedByReason, unmatchedSamplesByReason };
};

/** Adds one part's outcome to the report, once per part number. */
const recordPart = (db: DynamoDBDocumentClient, table: string, key: ImportReportKey, outcome: PartOutcome): Promise<boolean> => {
  const sets = assignments('s', {
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
  });
  const adds = assignments(
    'a',
    {
      partsApplied: new Set([outcome.part]),
      matched: outcome.matched,
      unmatched: outcome.unmatched,
      added: outcome.result.added,
      removed: outcome.result.removed,
      unchanged: outcome.result.unchanged,
      stale: outcome.result.stale,
      ...reasonCounters(outcome.unmatchedByReason),
    },
    'add',
  );
  const samples = reasonSamples(outcome.unmatchedSamplesByReason);
  const partsApplied = adds.nameOf('partsApplied');
  return whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: reportKey(key),
        UpdateExpression: `SET ${sets.clause}, #unmatchedSamples = list_append(if_not_exists(#unmatchedSamples, :empty), :samples)${samples.clauses} ADD ${adds.clause}`,
        // The part's counts are added once: a redelivered part finds its number in the set.
        ConditionExpression: `attribute_not_exists(${partsApplied}) OR NOT contains(${partsApplied}, :part)`,
        ...expressionParts(sets, adds, samples, {
          names: { '#unmatchedSamples': 'unmatchedSamples' },
          values: { ':empty': [], ':samples': outcome.unmatchedSamples, ':part': outcome.part },
        }),
      }),
    ),
  );
};

/** Marks the import failed (the part will not be retried any more). */
const markFailed = async (db: DynamoDBDocumentClient, table: string, key: ImportReportKey, part: number, code: ImportFailureCode, now: string): Promise<void> => {
  const sets = assignments('s', { importId: key.importId, cohortId: key.set.setId, workspaceId: key.set.workspaceId, failed: true, failureReason: code, updatedAt: now });
  const adds = assignments('a', { failedParts: new Set([part]) }, 'add');
  await db.send(new UpdateCommand({ TableName: table, Key: reportKey(key), UpdateExpression: `SET ${sets.clause} ADD ${adds.clause}`, ...expressionParts(sets, adds) }));
};

const getReport = async (db: DynamoDBDocumentClient, table: string, key: ImportReportKey): Promise<StoredImportReport | undefined> => {
  const result = await db.send(new GetCommand({ TableName: table, Key: reportKey(key), ConsistentRead: true }));
  return result.Item ? storedReport(result.Item) : undefined;
};

/** The stored report of an item as the domain reads it. */
const storedReport = (item: Record<string, unknown>): StoredImportReport => {
  const { partsApplied, ...report } = importReportItem.parse(item);
  return { ...report, ...reasonsOfItem(item), partsApplied: [...(partsApplied ?? [])].sort((a, b) => a - b) };
};

/** A cohort's reports, newest first: one Query of the cohort's `IMPORT#` items, descending (ids are time-ordered). */
const listReports = async (db: DynamoDBDocumentClient, table: string, set: ImportReportKey['set'], limit: number, startKey?: Record<string, unknown>) => {
  const result = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': setPk(set), ':prefix': IMPORT_SK_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return { items: (result.Items ?? []).map(storedReport), nextKey: result.LastEvaluatedKey };
};

export const dynamoImportReports = (db: DynamoDBDocumentClient, table: string) => {
  const reports: ImportReports & ImportReportReader = {
    recordPart: (key, outcome) => recordPart(db, table, key, outcome),
    markFailed: (key, part, code, now) => markFailed(db, table, key, part, code, now),
    get: (key) => getReport(db, table, key),
    list: (set, limit, startKey) => listReports(db, table, set, limit, startKey),
  };
  return reports;
};

export type DynamoImportReports = ReturnType<typeof dynamoImportReports>;
