/**
 * The scheduled export request (EventBridge Scheduler in AWS, a timer locally, both hourly by
 * default): for each workspace whose period is up, the hub takes the period's run (a conditional
 * write, so two overlapping runs ask once), decrypts the REST API key and calls Braze's
 * `POST /users/export/segment` with the documented body. Braze then writes the files to the import
 * bucket (the S3 notification brings them to the worker), or answers with a download `url`, which
 * becomes a download job on the same worker's queue. A failed request gives the period back, so the
 * next run tries again.
 */
import { exportRequestBody } from './braze-export';
import { brazeKeyContext } from './braze-export-settings';
import { isoNow, type BrazeExportEntry, type BrazeExportRegistry, type BrazeRestApi, type Clock, type DelayedQueue, type SecretBox, type WorkspaceStore } from './ports';
import type { DownloadJob } from '../schemas/braze-export';

/** The download is tried first this long after the request (Braze needs time to build the export). */
export const FIRST_DOWNLOAD_DELAY_SECONDS = 60;
/** Scheduler fires with jitter: a workspace is due this long before its period is exactly up. */
export const DUE_SLACK_MS = 10 * 60_000;

export interface ExportRequesterDeps {
  readonly registry: BrazeExportRegistry;
  readonly workspaces: Pick<WorkspaceStore, 'get'>;
  readonly secrets: SecretBox;
  readonly braze: BrazeRestApi;
  readonly queue: DelayedQueue;
  readonly clock: Clock;
  /** Replaces every workspace's REST URL (a local fake: `BRAZE_REST_URL`). */
  readonly restUrlOverride?: string;
  /** Delay of a download job's first try (default FIRST_DOWNLOAD_DELAY_SECONDS). */
  readonly firstDownloadDelaySeconds?: number;
}

export interface RequestOutcome {
  readonly workspaceId: string;
  readonly outcome: 'not-due' | 'taken' | 'disabled' | 'bucket' | 'download' | 'refused' | 'failed';
  readonly detail?: string;
}

const isDue = (entry: BrazeExportEntry, now: number): boolean => entry.lastRequestedAt === undefined || entry.lastRequestedAt + entry.everyMs - DUE_SLACK_MS <= now;

/** The download job for Braze's `url` (its dedupe key names the request, so a repeat is one job). */
const downloadJob = (entry: BrazeExportEntry, url: string, requestedAt: number, objectPrefix: string | undefined): DownloadJob => ({
  type: 'download',
  dedupeKey: `braze-download#${entry.workspaceId}#${requestedAt}`,
  workspaceId: entry.workspaceId,
  segmentId: entry.segmentId,
  url,
  version: requestedAt,
  ...(objectPrefix !== undefined ? { objectPrefix } : {}),
  attempt: 0,
});

/** One workspace's request: settings, key, Braze's answer, and what follows from it. */
const requestExport = async (deps: ExportRequesterDeps, entry: BrazeExportEntry, now: number): Promise<RequestOutcome> => {
  const { workspaceId } = entry;
  const settings = (await deps.workspaces.get(workspaceId))?.brazeExport;
  if (!settings?.enabled) return { workspaceId, outcome: 'disabled' };
  const apiKey = await deps.secrets.decrypt(settings.apiKeyCiphertext, brazeKeyContext(workspaceId));
  const answer = await deps.braze.exportSegment(deps.restUrlOverride ?? settings.restUrl, apiKey, exportRequestBody(settings.segmentId));
  if (!answer.ok) return { workspaceId, outcome: 'refused', detail: `HTTP ${answer.status}: ${answer.message.slice(0, 200)}` };
  if (answer.url === undefined) return { workspaceId, outcome: 'bucket', ...(answer.objectPrefix ? { detail: answer.objectPrefix } : {}) };
  await deps.queue.sendLater(JSON.stringify(downloadJob({ ...entry, segmentId: settings.segmentId }, answer.url, now, answer.objectPrefix)), deps.firstDownloadDelaySeconds ?? FIRST_DOWNLOAD_DELAY_SECONDS);
  return { workspaceId, outcome: 'download', ...(answer.objectPrefix ? { detail: answer.objectPrefix } : {}) };
};

/** Takes the period's run, asks, and records the outcome (giving the period back when the request failed). */
const runEntry = async (deps: ExportRequesterDeps, entry: BrazeExportEntry, now: number): Promise<RequestOutcome> => {
  if (!isDue(entry, now)) return { workspaceId: entry.workspaceId, outcome: 'not-due' };
  if (!(await deps.registry.claimRun(entry.workspaceId, now - entry.everyMs + DUE_SLACK_MS, now))) return { workspaceId: entry.workspaceId, outcome: 'taken' };
  let result: RequestOutcome;
  try {
    result = await requestExport(deps, entry, now);
  } catch (error) {
    result = { workspaceId: entry.workspaceId, outcome: 'failed', detail: (error as Error).name };
  }
  const retry = result.outcome === 'refused' || result.outcome === 'failed';
  await deps.registry.recordOutcome(entry.workspaceId, `${isoNow(deps.clock)} ${result.outcome}${result.detail ? ` ${result.detail}` : ''}`, retry ? entry.lastRequestedAt : now);
  return result;
};

/** Requests the export of every workspace whose period is up. */
export const requestDueExports = async (deps: ExportRequesterDeps): Promise<RequestOutcome[]> => {
  const now = deps.clock.now();
  const outcomes: RequestOutcome[] = [];
  for (const entry of await deps.registry.list()) outcomes.push(await runEntry(deps, entry, now));
  return outcomes;
};
