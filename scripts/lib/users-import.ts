/**
 * `npm run admin -- users import <file> --workspace <name> [--format csv|jsonl|braze-export]`: a
 * thin wrapper over the import the Braze export worker runs too (functions/domain/directory-import.ts):
 * it streams the file (ZIP, gzip or plain, told from its first bytes), shows a progress bar on
 * stderr, writes rejected lines and conflicts to a rejects file (JSONL with line numbers), and
 * stores the import's report (`GET /v1/directory/imports`). CSV / JSONL take the bulk first-setup
 * path; Braze export files the identity rules, versioned by the export's start time.
 */
import { appendFileSync, createReadStream, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { directoryStore } from '../../functions/adapters/directory';
import { dynamoDirectoryImportReports } from '../../functions/adapters/directory-import-reports';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { parseExportKey } from '../../functions/domain/braze-export';
import { importUserFile, type DirectoryImportDeps, type ImportCounts, type ImportFileFormat } from '../../functions/domain/directory-import';
import { directoryImportId, finishedReport, sampledSink, startedReport } from '../../functions/domain/directory-import-reports';
import { fileLines } from '../../functions/domain/export-stream';
import { isoNow, systemClock, type Clock } from '../../functions/domain/ports';

export { CHUNK_ROWS } from '../../functions/domain/directory-import';

export interface UsersImportOptions {
  readonly file: string;
  readonly workspaceName: string;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: { readonly workspaces: string; readonly users: string; readonly aliases: string; readonly cohorts: string };
  /** Default: from the name (`.csv`, `.jsonl`/`.ndjson`; `.zip`/`.gz` are Braze exports). */
  readonly format?: ImportFileFormat;
  /** The version of the file's facts (epoch ms). Default: the TIMESTAMP of a Braze key in the path, else the file's modification time. */
  readonly version?: number;
  /** Defaults to `<file>.rejects.jsonl`. */
  readonly rejectsFile?: string;
  /** Progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  readonly clock?: Clock;
}

export interface UsersImportSummary extends ImportCounts {
  readonly workspaceId: string;
  readonly format: ImportFileFormat;
  readonly version: number;
  readonly importId: string;
  batchWrites: number;
  seconds: number;
  readonly rejectsFile: string;
}

/** The format a file's name implies. */
export const formatOf = (file: string): ImportFileFormat => {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  if (/\.(zip|gz)$/i.test(file)) return 'braze-export';
  throw new Error('The file must end in .csv, .jsonl, .zip or .gz (or name its --format)');
};

/** A Braze key's TIMESTAMP when the path keeps Braze's layout, else the file's modification time. */
export const versionOf = (file: string): number => {
  const at = resolve(file).replace(/\\/g, '/').lastIndexOf('/segment-export/');
  const key = at >= 0 ? parseExportKey(resolve(file).slice(at + 1)) : undefined;
  return key?.startedAtMs ?? Math.floor(statSync(file).mtimeMs);
};

/** A one-line bar on stderr: bytes read of the file, users, applied, conflicts and rejects so far. */
const importProgress = (show: boolean, total: number) => {
  const line = (done: number, counts: Readonly<ImportCounts>) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * 30);
    const n = (value: number) => value.toLocaleString('en');
    return `\r[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${n(counts.rows)} users  ${n(counts.profilesCreated + counts.profilesUpdated)} applied  ${n(counts.conflicts)} conflicts  ${n(counts.rejected)} rejected`;
  };
  return {
    update: (done: number, counts: Readonly<ImportCounts>) => show && process.stderr.write(line(done, counts)),
    done: (counts: Readonly<ImportCounts>) => show && process.stderr.write(`${line(total, counts)}\n`),
  };
};

/** The file's bytes, counted as they are read (the progress bar's measure). */
async function* counted(file: string, read: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(file)) {
    read.bytes += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
}

const importDeps = (options: UsersImportOptions, counter: { batchWrite: number; unprocessedRetries: number }, clock: Clock): DirectoryImportDeps => {
  const store = directoryStore(options.doc, { users: options.tables.users, aliases: options.tables.aliases });
  const membership = dynamoMembershipStore(options.doc, options.tables.cohorts);
  const reads = dynamoSetReads(options.doc, options.tables.cohorts);
  return {
    directory: { ...store, putNewProfiles: (workspaceId, records, now) => store.putNewProfiles(workspaceId, records, now, counter) },
    membership: { apply: (...args) => membership.apply(...args), setsOfMember: (...args) => reads.setsOfMember(...args) },
    clock,
  };
};

/** Runs one import; returns the summary (also printed by the admin CLI). */
export const runUsersImport = async (options: UsersImportOptions): Promise<UsersImportSummary> => {
  const clock = options.clock ?? systemClock;
  const startedMs = clock.now();
  const format = options.format ?? formatOf(options.file);
  const workspace = await dynamoWorkspaceStore(options.doc, options.tables.workspaces).getByName(options.workspaceName);
  if (!workspace) throw new Error(`No workspace named "${options.workspaceName}"`);
  const rejectsFile = options.rejectsFile ?? `${options.file}.rejects.jsonl`;
  writeFileSync(rejectsFile, '');
  const version = options.version ?? versionOf(options.file);
  const importId = directoryImportId('cli', resolve(options.file), String(statSync(options.file).size));
  const reports = dynamoDirectoryImportReports(options.doc, options.tables.cohorts);
  const started = startedReport({ workspaceId: workspace.workspaceId, importId, file: basename(options.file), source: 'cli', format, version, startedAt: isoNow(clock) });
  await reports.put(started);
  const read = { bytes: 0 };
  const total = statSync(options.file).size;
  const bar = importProgress(options.progress ?? process.stderr.isTTY, total);
  const samples = sampledSink({
    reject: (reject) => appendFileSync(rejectsFile, `${JSON.stringify(reject)}\n`),
    conflict: (conflict) => appendFileSync(rejectsFile, `${JSON.stringify({ ...conflict, conflict: true })}\n`),
    chunkApplied: (counts) => bar.update(read.bytes, counts),
  });
  const counter = { batchWrite: 0, unprocessedRetries: 0 };
  const input = { workspaceId: workspace.workspaceId, format, lines: fileLines(counted(options.file, read)), version, importId };
  const counts = await importUserFile(importDeps(options, counter, clock), input, samples.sink);
  bar.done(counts);
  await reports.put(finishedReport(started, { counts, samples, now: isoNow(clock) }));
  return { ...counts, workspaceId: workspace.workspaceId, format, version, importId, batchWrites: counter.batchWrite, seconds: (clock.now() - startedMs) / 1000, rejectsFile };
};

/** Human-readable summary lines for the CLI. */
export const formatImportSummary = (summary: UsersImportSummary): string =>
  [
    `Workspace ${summary.workspaceId}: ${summary.rows} users (${summary.format}, facts as of ${new Date(summary.version).toISOString()}) in ${summary.seconds.toFixed(1)} s (${Math.round(summary.rows / Math.max(summary.seconds, 0.001))} rows/s)`,
    `  profiles created: ${summary.profilesCreated}, updated: ${summary.profilesUpdated}, unchanged: ${summary.profilesUnchanged}, merged: ${summary.merged}, left deleted: ${summary.deleted}`,
    `  applied: external ids ${summary.externalIdsApplied}, aliases ${summary.aliasesApplied}, devices ${summary.devicesApplied} (identifiers claimed: ${summary.identifiersClaimed})`,
    `  conflicts: ${summary.conflicts}, stale external ids: ${summary.stale}, rejected lines: ${summary.rejected}${summary.rejected + summary.conflicts > 0 ? ` (line numbers in ${summary.rejectsFile})` : ''}`,
    `  report: GET /v1/directory/imports (import ${summary.importId}); BatchWriteItem calls: ${summary.batchWrites}`,
  ].join('\n');
