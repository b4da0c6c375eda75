/**
 * Reports of directory imports (`GET /v1/directory/imports`): one per user file applied — by the
 * admin CLI, from the import bucket, or from a Braze download URL — with what it counted and
 * bounded samples of conflicts and rejects (line numbers included). A report is written when the
 * file starts (`running`) and again when it ends (`applied` or `failed`); its id is stable per
 * file, so a redelivered file overwrites its own report.
 */
import { createHash } from 'node:crypto';
import type { WorkspaceRecord } from '../schemas/workspace';
import { IMPORT_SAMPLE_LIMIT, type ConflictSample, type ImportCounts, type ImportSink } from './directory-import';
import type { CursorCodec, DirectoryImportReport, DirectoryImportReports } from './ports';
import type { ImportReject } from './user-import';
import { pagedRead } from './paging';

/** A stable import id for a file: the digest of where it came from. */
export const directoryImportId = (...parts: string[]): string => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 20);

/** A sink that keeps the first IMPORT_SAMPLE_LIMIT conflicts and rejects for the report (and passes everything on). */
export const sampledSink = (next?: Partial<ImportSink>) => {
  const conflicts: ConflictSample[] = [];
  const rejects: { line: number; reason: string }[] = [];
  const sink: ImportSink = {
    reject: (reject: ImportReject) => {
      if (rejects.length < IMPORT_SAMPLE_LIMIT) rejects.push({ line: reject.line, reason: reject.reason });
      next?.reject?.(reject);
    },
    conflict: (sample) => {
      if (conflicts.length < IMPORT_SAMPLE_LIMIT) conflicts.push(sample);
      next?.conflict?.(sample);
    },
    chunkApplied: (counts) => next?.chunkApplied?.(counts),
  };
  return { sink, conflicts, rejects };
};

export interface ReportStart {
  readonly workspaceId: string;
  readonly importId: string;
  readonly file: string;
  readonly source: DirectoryImportReport['source'];
  readonly format: string;
  readonly segmentId?: string;
  readonly version: number;
  readonly startedAt: string;
}

/** The report of an import that has just started. */
export const startedReport = (start: ReportStart): DirectoryImportReport => ({
  workspaceId: start.workspaceId,
  importId: start.importId,
  file: start.file,
  source: start.source,
  format: start.format,
  ...(start.segmentId !== undefined ? { segmentId: start.segmentId } : {}),
  exportStartedAt: new Date(start.version).toISOString(),
  startedAt: start.startedAt,
  updatedAt: start.startedAt,
  status: 'running',
  counts: {},
  conflictSamples: [],
  rejectSamples: [],
});

/** The report of an import that ended: its counts and samples, or why it failed. */
export const finishedReport = (
  started: DirectoryImportReport,
  result: { counts: ImportCounts; samples: ReturnType<typeof sampledSink>; now: string; failure?: string },
): DirectoryImportReport => ({
  ...started,
  updatedAt: result.now,
  status: result.failure === undefined ? 'applied' : 'failed',
  counts: { ...result.counts },
  conflictSamples: result.samples.conflicts,
  rejectSamples: result.samples.rejects,
  ...(result.failure !== undefined ? { failureReason: result.failure } : {}),
});

/** A report as the read API shows it. */
const reportView = (report: DirectoryImportReport) => {
  const counts = (key: keyof ImportCounts) => report.counts[key] ?? 0;
  return {
    import_id: report.importId,
    file: report.file,
    source: report.source,
    format: report.format,
    segment_id: report.segmentId ?? null,
    export_started_at: report.exportStartedAt,
    started_at: report.startedAt,
    updated_at: report.updatedAt,
    status: report.status,
    users: counts('rows'),
    applied: counts('profilesCreated') + counts('profilesUpdated'),
    profiles: { created: counts('profilesCreated'), updated: counts('profilesUpdated'), unchanged: counts('profilesUnchanged'), merged: counts('merged'), deleted: counts('deleted') },
    identifiers: { external_ids: counts('externalIdsApplied'), aliases: counts('aliasesApplied'), devices: counts('devicesApplied'), claimed: counts('identifiersClaimed') },
    stale: counts('stale'),
    conflicts: counts('conflicts'),
    conflict_samples: report.conflictSamples,
    rejects: counts('rejected'),
    reject_samples: report.rejectSamples,
    ...(report.failureReason !== undefined ? { failure_reason: report.failureReason } : {}),
  };
};

export interface DirectoryImportReadDeps {
  readonly directoryImports: Pick<DirectoryImportReports, 'list'>;
  readonly cursors: CursorCodec;
}

const ROUTE = 'directory/imports';

/** `GET /v1/directory/imports`: the workspace's directory imports, newest export first, one page. */
export const listDirectoryImports = async (deps: DirectoryImportReadDeps, workspace: WorkspaceRecord, page: { limit: number; cursor?: string }) => {
  return pagedRead(
    deps.cursors,
    workspace,
    { route: ROUTE, cursor: page.cursor },
    (startKey) => deps.directoryImports.list(workspace.workspaceId, page.limit, startKey),
    (result) => ({ imports: result.items.map(reportView) }),
  );
};
