/**
 * The Braze export worker's logic (docs/braze-export.md): one queued message is either
 * - an S3 event of the import bucket: each object under `segment-export/<segment>/…` is applied to
 *   the workspace that exports that segment, versioned by the TIMESTAMP in its key; or
 * - a download job: Braze's URL is fetched once the export is ready (until then the job comes back
 *   later, for about as long as Braze keeps the URL), versioned by when the hub asked for it.
 * Both stream the file through the same import as the admin CLI (directory-import.ts) and store a
 * report. A broken object is reported `failed` and not retried; anything else is thrown, so SQS
 * redelivers it (every step converges) and finally dead-letters it.
 */
import type { BrazeExportMessage, DownloadJob, ExportObjectRef } from '../schemas/braze-export';
import { parseExportKey } from './braze-export';
import { emptyCounts, importUserFile, type DirectoryImportDeps, type ImportCounts } from './directory-import';
import { directoryImportId, finishedReport, sampledSink, startedReport, type ReportStart } from './directory-import-reports';
import { ExportFileError, fileLines } from './export-stream';
import { isoNow, type BrazeExportRegistry, type DelayedQueue, type DirectoryImportReports, type ExportDownloader, type ExportObjectSource } from './ports';

/** A download that is not ready is tried again after this long… */
export const DOWNLOAD_RETRY_SECONDS = 300;
/** …this many times: about 4 hours, as long as Braze keeps a download URL. */
export const MAX_DOWNLOAD_ATTEMPTS = 48;

export interface BrazeExportJobDeps extends DirectoryImportDeps {
  readonly registry: Pick<BrazeExportRegistry, 'list'>;
  readonly reports: Pick<DirectoryImportReports, 'put'>;
  readonly objects: ExportObjectSource;
  readonly downloads: ExportDownloader;
  readonly queue: DelayedQueue;
  /** Delay before a download that was not ready is tried again (default DOWNLOAD_RETRY_SECONDS). */
  readonly retryDelaySeconds?: number;
}

export type JobOutcome =
  | { readonly file: string; readonly status: 'applied'; readonly counts: ImportCounts }
  | { readonly file: string; readonly status: 'skipped' | 'not-ready' | 'failed'; readonly reason: string };

/** Applies one file's lines and stores its report (started, then applied or failed). */
const applyFile = async (deps: BrazeExportJobDeps, start: ReportStart, body: () => Promise<AsyncIterable<Buffer | Uint8Array>>): Promise<JobOutcome> => {
  const started = startedReport(start);
  await deps.reports.put(started);
  const samples = sampledSink();
  const counts = emptyCounts();
  try {
    const lines = fileLines(await body());
    const input = { workspaceId: start.workspaceId, format: 'braze-export' as const, lines, version: start.version, importId: start.importId };
    await importUserFile(deps, input, samples.sink, counts);
    await deps.reports.put(finishedReport(started, { counts, samples, now: isoNow(deps.clock) }));
    return { file: start.file, status: 'applied', counts };
  } catch (error) {
    if (!(error instanceof ExportFileError) || start.source === 'url') throw error;
    const failure = `the file could not be read: ${error.message}`;
    await deps.reports.put(finishedReport(started, { counts, samples, now: isoNow(deps.clock), failure }));
    return { file: start.file, status: 'failed', reason: failure };
  }
};

/** One object of the import bucket: its workspace by segment id, then the file. */
const applyObject = async (deps: BrazeExportJobDeps, object: ExportObjectRef): Promise<JobOutcome> => {
  const file = `s3://${object.bucket}/${object.key}`;
  const key = parseExportKey(object.key);
  if (!key) return { file, status: 'skipped', reason: 'not a Braze segment export (segment-export/<segment>/<day>/<uuid>-<timestamp>/<file>.zip|.gz)' };
  const entry = (await deps.registry.list()).find((each) => each.segmentId === key.segmentId);
  if (!entry) return { file, status: 'skipped', reason: `no workspace exports segment ${key.segmentId}` };
  const start: ReportStart = {
    workspaceId: entry.workspaceId,
    importId: directoryImportId('s3', object.bucket, object.key),
    file,
    source: 's3',
    format: 'braze-export',
    segmentId: key.segmentId,
    version: key.startedAtMs,
    startedAt: isoNow(deps.clock),
  };
  const outcome = await applyFile(deps, start, () => deps.objects.open(object.bucket, object.key));
  if (outcome.status === 'applied') await deps.objects.markApplied(object.bucket, object.key);
  return outcome;
};

/** The same job, one attempt later, delivered after DOWNLOAD_RETRY_SECONDS. */
const retryLater = (deps: BrazeExportJobDeps, job: DownloadJob): Promise<void> => {
  const next: DownloadJob = { ...job, attempt: job.attempt + 1, dedupeKey: `${job.dedupeKey.replace(/#attempt\d+$/, '')}#attempt${job.attempt + 1}` };
  return deps.queue.sendLater(JSON.stringify(next), deps.retryDelaySeconds ?? DOWNLOAD_RETRY_SECONDS);
};

/** A download job: the URL once it answers, else again later (never logged: it is a bearer secret). */
const applyDownload = async (deps: BrazeExportJobDeps, job: DownloadJob): Promise<JobOutcome> => {
  const file = `braze-download:${job.objectPrefix ?? job.segmentId}`;
  const entry = (await deps.registry.list()).find((each) => each.workspaceId === job.workspaceId);
  if (!entry) return { file, status: 'skipped', reason: 'the workspace no longer exports from Braze' };
  const download = await deps.downloads.get(job.url);
  if (!download.ready) {
    if (job.attempt + 1 >= MAX_DOWNLOAD_ATTEMPTS) return { file, status: 'failed', reason: `the download URL answered ${download.status} for ${MAX_DOWNLOAD_ATTEMPTS} attempts` };
    await retryLater(deps, job);
    return { file, status: 'not-ready', reason: `HTTP ${download.status}` };
  }
  const start: ReportStart = {
    workspaceId: job.workspaceId,
    importId: directoryImportId('url', job.workspaceId, job.objectPrefix ?? job.dedupeKey),
    file,
    source: 'url',
    format: 'braze-export',
    segmentId: job.segmentId,
    version: job.version,
    startedAt: isoNow(deps.clock),
  };
  return applyFile(deps, start, () => Promise.resolve(download.body));
};

/** Processes one queued message; returns what happened to each file in it. */
export const processBrazeExportMessage = async (deps: BrazeExportJobDeps, message: BrazeExportMessage): Promise<JobOutcome[]> => {
  if (message.kind === 'test') return [];
  if (message.kind === 'download') return [await applyDownload(deps, message)];
  const outcomes: JobOutcome[] = [];
  for (const object of message.objects) outcomes.push(await applyObject(deps, object));
  return outcomes;
};
