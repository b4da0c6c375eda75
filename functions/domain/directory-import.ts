/**
 * Applying a user file to the directory: the one code path behind `npm run admin -- users import`
 * and the Braze export worker (docs/braze-export.md). Lines stream in (export-stream.ts decodes ZIP,
 * gzip or plain files), are parsed by format, and are applied CHUNK_ROWS rows at a time:
 * - `csv` / `jsonl`: the bulk first-setup path (bulk-import.ts): new profiles in batches;
 * - `braze-export`: each user through the identity rules Currents uses, every fact versioned by the
 *   export's start time (export-import.ts), so an export never overwrites a newer Currents fact.
 * Nothing is ever deleted because a file lacks it. Rejected lines go to the sink with their number.
 */
import { parseExportLine } from './braze-export';
import { applyBulkChunk } from './bulk-import';
import type { DirectoryDeps } from './directory';
import { applyExportChunk } from './export-import';
import { changeVersion } from './membership';
import { isoNow, type BulkProfileWriter, type Clock, type DirectoryPort } from './ports';
import { csvHeader, isReject, parseImportLine, type ImportReject, type ImportRow } from './user-import';

export const IMPORT_FILE_FORMATS = ['csv', 'jsonl', 'braze-export'] as const;
export type ImportFileFormat = (typeof IMPORT_FILE_FORMATS)[number];

/** Rows applied together: one batched read of claims and profiles per chunk. */
export const CHUNK_ROWS = 1000;

/** At most this many conflict and reject samples are kept in a stored report. */
export const IMPORT_SAMPLE_LIMIT = 100;

/** What an import counted. `rows` are non-blank lines; the rest say what happened to them. */
export interface ImportCounts {
  rows: number;
  rejected: number;
  profilesCreated: number;
  profilesUpdated: number;
  profilesUnchanged: number;
  identifiersClaimed: number;
  externalIdsApplied: number;
  aliasesApplied: number;
  devicesApplied: number;
  /** Identifiers of a user that another user holds, or that its own profile contradicts. */
  conflicts: number;
  /** An external_id older than the one the directory learnt later (from Currents or a newer export). */
  stale: number;
  /** Users merged into another by the orphan rule, or already merged and followed. */
  merged: number;
  /** Users the directory knows as deleted: left deleted. */
  deleted: number;
}

export const emptyCounts = (): ImportCounts => ({
  rows: 0,
  rejected: 0,
  profilesCreated: 0,
  profilesUpdated: 0,
  profilesUnchanged: 0,
  identifiersClaimed: 0,
  externalIdsApplied: 0,
  aliasesApplied: 0,
  devicesApplied: 0,
  conflicts: 0,
  stale: 0,
  merged: 0,
  deleted: 0,
});

export interface ConflictSample {
  readonly line: number;
  readonly identifier: string;
  readonly reason: string;
}

/** Where rejects and conflicts go (a rejects file, report samples) and who hears of progress. */
export interface ImportSink {
  reject(reject: ImportReject): void;
  conflict?(sample: ConflictSample): void;
  chunkApplied?(counts: Readonly<ImportCounts>): void;
}

export interface DirectoryImportDeps extends DirectoryDeps {
  readonly directory: DirectoryPort & BulkProfileWriter;
  readonly clock: Clock;
}

export interface ImportInput {
  readonly workspaceId: string;
  readonly format: ImportFileFormat;
  readonly lines: AsyncIterable<string>;
  /** The version of the file's facts (epoch ms): a Braze export's start time. */
  readonly version: number;
  /** Names the file in the versions of membership moves a merge makes. */
  readonly importId: string;
}

/** One import under way: its deps and input, the counts so far, and one reading of the clock per chunk. */
export interface ImportRun {
  readonly deps: DirectoryImportDeps;
  readonly input: ImportInput;
  readonly counts: ImportCounts;
  readonly sink: ImportSink;
  now: string;
  membershipVersion: string;
}

export interface Chunk {
  readonly rows: ImportRow[];
  /** Raw text by line number (the bulk path quotes it in rejects). */
  readonly raw: Map<number, string>;
}

export const rejectRow = (run: ImportRun, reject: ImportReject): void => {
  run.counts.rejected += 1;
  run.sink.reject(reject);
};

const parseLine = (format: ImportFileFormat, raw: string, line: number, header: readonly string[] | undefined) =>
  format === 'braze-export' ? parseExportLine(raw, line) : parseImportLine(format, raw, line, header);

const applyChunk = async (run: ImportRun, chunk: Chunk): Promise<void> => {
  if (chunk.rows.length === 0) return;
  const nowMs = run.deps.clock.now();
  run.now = isoNow(run.deps.clock);
  run.membershipVersion = changeVersion(nowMs, `import#${run.input.importId}`);
  if (run.input.format === 'braze-export') await applyExportChunk(run, chunk.rows);
  else await applyBulkChunk(run, chunk);
  run.sink.chunkApplied?.(run.counts);
};

/**
 * Applies a user file; returns what it counted (into `counts`, which the caller may pass to keep
 * what was counted when a file fails half way). Safe to run again: every step converges.
 */
export const importUserFile = async (deps: DirectoryImportDeps, input: ImportInput, sink: ImportSink, counts = emptyCounts()): Promise<ImportCounts> => {
  const run: ImportRun = { deps, input, counts, sink, now: '', membershipVersion: '' };
  let header: string[] | undefined;
  let lineNumber = 0;
  let chunk: Chunk = { rows: [], raw: new Map() };
  for await (const raw of input.lines) {
    lineNumber += 1;
    if (input.format === 'csv' && header === undefined) {
      header = csvHeader(raw);
      continue;
    }
    const parsed = parseLine(input.format, raw, lineNumber, header);
    if (parsed === undefined) continue;
    run.counts.rows += 1;
    if (isReject(parsed)) {
      rejectRow(run, parsed);
      continue;
    }
    chunk.rows.push(parsed);
    chunk.raw.set(lineNumber, raw);
    if (chunk.rows.length >= CHUNK_ROWS) {
      await applyChunk(run, chunk);
      chunk = { rows: [], raw: new Map() };
    }
  }
  await applyChunk(run, chunk);
  return run.counts;
};
