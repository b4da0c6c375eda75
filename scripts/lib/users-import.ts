/**
 * `npm run admin -- users import <file.csv|file.jsonl> --workspace <name>`: bulk load of profiles
 * and identifiers for a first setup. Streams the file in chunks of CHUNK_ROWS rows; per chunk it
 * reads the directory once (BatchGetItem: existing claims and profiles), writes new profiles and
 * their claims with BatchWriteItem (25 a call), and claims identifiers of already-known profiles one
 * by one through the transactional claim (the same rules as the live directory). Rows that cannot
 * be applied are written to a rejects file (JSONL: line, reason, raw). A progress bar goes to stderr.
 * Re-running the same file converges: ids are derived deterministically and claims are idempotent.
 */
import { createReadStream, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { profileIdentifierKeys } from '../../functions/adapters/claim-items';
import { directoryStore } from '../../functions/adapters/directory';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { identifierKey } from '../../functions/domain/identifiers';
import {
  csvHeader,
  groupRows,
  isReject,
  parseImportLine,
  recordIdentifiers,
  type ImportFormat,
  type ImportRecord,
  type ImportReject,
  type ImportRow,
} from '../../functions/domain/user-import';
import { isLive, type Profile } from '../../functions/schemas/directory';

export const CHUNK_ROWS = 1000;

export interface UsersImportOptions {
  readonly file: string;
  readonly workspaceName: string;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: { readonly workspaces: string; readonly users: string; readonly aliases: string };
  /** Defaults to `<file>.rejects.jsonl`. */
  readonly rejectsFile?: string;
  /** Progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  readonly now?: () => Date;
}

export interface UsersImportSummary {
  readonly workspaceId: string;
  rows: number;
  rejected: number;
  profilesCreated: number;
  profilesUpdated: number;
  identifiersClaimed: number;
  batchWrites: number;
  seconds: number;
  readonly rejectsFile: string;
}

const formatOf = (file: string): ImportFormat => {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  throw new Error('The file must end in .csv or .jsonl');
};

const bar = (done: number, total: number, summary: UsersImportSummary): string => {
  const width = 30;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${summary.rows.toLocaleString('en')} rows  ${summary.profilesCreated.toLocaleString('en')} new  ${summary.rejected.toLocaleString('en')} rejected`;
};

type Directory = ReturnType<typeof directoryStore>;

/** One import under way: where it writes, and what it has counted so far. */
interface ImportRun {
  readonly options: UsersImportOptions;
  readonly workspaceId: string;
  readonly directory: Directory;
  readonly summary: UsersImportSummary;
  readonly counter: { batchWrite: number; unprocessedRetries: number };
  writeRejects(rejects: readonly ImportReject[]): void;
}

/** The workspace (by name), the directory on its tables, and an empty rejects file. */
const openImport = async (options: UsersImportOptions): Promise<ImportRun> => {
  const workspace = await dynamoWorkspaceStore(options.doc, options.tables.workspaces).getByName(options.workspaceName);
  if (!workspace) throw new Error(`No workspace named "${options.workspaceName}"`);
  const rejectsFile = options.rejectsFile ?? `${options.file}.rejects.jsonl`;
  writeFileSync(rejectsFile, '');
  const summary: UsersImportSummary = {
    workspaceId: workspace.workspaceId,
    rows: 0,
    rejected: 0,
    profilesCreated: 0,
    profilesUpdated: 0,
    identifiersClaimed: 0,
    batchWrites: 0,
    seconds: 0,
    rejectsFile,
  };
  return {
    options,
    workspaceId: workspace.workspaceId,
    directory: directoryStore(options.doc, { users: options.tables.users, aliases: options.tables.aliases }),
    summary,
    counter: { batchWrite: 0, unprocessedRetries: 0 },
    writeRejects: (rejects) => {
      if (rejects.length === 0) return;
      summary.rejected += rejects.length;
      appendFileSync(rejectsFile, rejects.map((reject) => JSON.stringify(reject)).join('\n') + '\n');
    },
  };
};

/** Every identifier key a chunk's rows name. */
const chunkKeys = (rows: readonly ImportRow[]): string[] =>
  rows.flatMap((row) => [
    ...(row.externalId ? [identifierKey({ kind: 'external_id', value: row.externalId })] : []),
    ...row.aliases.map((alias) => identifierKey({ kind: 'alias', ...alias })),
    ...row.deviceIds.map((value) => identifierKey({ kind: 'device_id', value })),
  ]);

/**
 * An already-known profile: its new identifiers through the transactional claim (external id first,
 * so device claims are written already marked as belonging to an identified user).
 */
const claimForExisting = async (run: ImportRun, record: ImportRecord, existing: Profile, raw: Map<number, string>, now: string): Promise<void> => {
  const { directory, workspaceId, summary } = run;
  if (!isLive(existing)) {
    run.writeRejects(record.lines.map((line) => ({ line, reason: `user ${record.brazeId} was merged or deleted`, raw: raw.get(line) ?? '' })));
    return;
  }
  let changed = false;
  const held = new Set([...profileIdentifierKeys(existing)]);
  for (const identifier of recordIdentifiers(record)) {
    if (held.has(identifierKey(identifier))) continue;
    const outcome = await directory.claim(workspaceId, record.brazeId, identifier, now);
    if (outcome === 'claimed') {
      summary.identifiersClaimed += 1;
      changed = true;
    } else {
      run.writeRejects([{ line: record.lines[0] ?? 0, reason: `${identifierKey(identifier)}: ${outcome}`, raw: raw.get(record.lines[0] ?? 0) ?? '' }]);
    }
  }
  if (!changed) return;
  summary.profilesUpdated += 1;
  if (record.externalId !== undefined) await directory.markClaimsIdentified(workspaceId, record.brazeId);
};

/**
 * One chunk: who already holds its identifiers (rows meet their existing profiles through them),
 * rows grouped per user, new profiles and their claims in batch, known profiles claim one by one.
 */
const importChunk = async (run: ImportRun, rows: ImportRow[], raw: Map<number, string>): Promise<void> => {
  if (rows.length === 0) return;
  const { directory, workspaceId, summary } = run;
  const now = (run.options.now?.() ?? new Date()).toISOString();
  const claims = await directory.resolveClaims(workspaceId, chunkKeys(rows));
  const owners = new Map([...claims].map(([key, claim]) => [key, claim.profileId]));
  const { records, rejects } = groupRows(workspaceId, rows, (line) => raw.get(line) ?? '', owners);
  run.writeRejects(rejects);
  const profiles = await directory.getProfiles(
    workspaceId,
    records.map((record) => record.brazeId),
  );
  const fresh = records.filter((record) => !profiles.has(record.brazeId));
  await directory.putNewProfiles(workspaceId, fresh, now, run.counter);
  summary.profilesCreated += fresh.length;
  for (const record of records) {
    const existing = profiles.get(record.brazeId);
    if (existing) await claimForExisting(run, record, existing, raw, now);
  }
  summary.identifiersClaimed += fresh.reduce((sum, record) => sum + recordIdentifiers(record).length, 0);
};

interface Chunk {
  rows: ImportRow[];
  raw: Map<number, string>;
}

/**
 * Streams the file line by line: counts rows, writes rejected lines at once, and hands each full
 * chunk of CHUNK_ROWS rows (with the bytes read so far) to `onChunk`; returns the last, partial chunk.
 */
const readChunks = async (run: ImportRun, format: ImportFormat, onChunk: (chunk: Chunk, bytesRead: number) => Promise<void>): Promise<Chunk> => {
  const lines = createInterface({ input: createReadStream(run.options.file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: string[] | undefined;
  let lineNumber = 0;
  let bytesRead = 0;
  let chunk: Chunk = { rows: [], raw: new Map() };
  for await (const line of lines) {
    lineNumber += 1;
    bytesRead += Buffer.byteLength(line, 'utf8') + 1;
    if (format === 'csv' && header === undefined) {
      header = csvHeader(line);
      continue;
    }
    const parsed = parseImportLine(format, line, lineNumber, header);
    if (parsed === undefined) continue;
    run.summary.rows += 1;
    if (isReject(parsed)) {
      run.writeRejects([parsed]);
      continue;
    }
    chunk.rows.push(parsed);
    chunk.raw.set(lineNumber, line);
    if (chunk.rows.length >= CHUNK_ROWS) {
      await onChunk(chunk, bytesRead);
      chunk = { rows: [], raw: new Map() };
    }
  }
  return chunk;
};

/** Runs one import; returns the summary (also printed by the admin CLI). */
export const runUsersImport = async (options: UsersImportOptions): Promise<UsersImportSummary> => {
  const started = Date.now();
  const format = formatOf(options.file);
  const run = await openImport(options);
  const totalBytes = statSync(options.file).size;
  const showProgress = options.progress ?? process.stderr.isTTY;
  const last = await readChunks(run, format, async (chunk, bytesRead) => {
    await importChunk(run, chunk.rows, chunk.raw);
    if (showProgress) process.stderr.write(bar(bytesRead, totalBytes, run.summary));
  });
  await importChunk(run, last.rows, last.raw);
  run.summary.batchWrites = run.counter.batchWrite;
  run.summary.seconds = (Date.now() - started) / 1000;
  if (showProgress) process.stderr.write(`${bar(totalBytes, totalBytes, run.summary)}\n`);
  return run.summary;
};

/** Human-readable summary lines for the CLI. */
export const formatImportSummary = (summary: UsersImportSummary): string =>
  [
    `Workspace ${summary.workspaceId}: ${summary.rows} rows in ${summary.seconds.toFixed(1)} s (${Math.round(summary.rows / Math.max(summary.seconds, 0.001))} rows/s)`,
    `  profiles created: ${summary.profilesCreated}, profiles updated: ${summary.profilesUpdated}, identifiers claimed: ${summary.identifiersClaimed}`,
    `  rejected rows: ${summary.rejected}${summary.rejected > 0 ? ` (see ${summary.rejectsFile})` : ''}`,
    `  BatchWriteItem calls: ${summary.batchWrites}`,
  ].join('\n');
