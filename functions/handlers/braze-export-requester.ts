/**
 * The scheduled Braze export request (EventBridge Scheduler invokes it hourly; the local stack's
 * timer calls the same handler): asks Braze for the export of every workspace whose period is up
 * (domain/braze-export-request.ts). Never throws for one workspace's failure: each outcome is
 * recorded in the registry and logged, and the next run retries a failed one.
 */
import { brazeRestApi } from '../adapters/braze-http';
import { sqsDelayedQueue } from '../adapters/delayed-queue';
import { configuredSecretBox } from '../adapters/secret-box';
import { brazeExportRegistry, workspaceStore } from '../adapters/stores';
import { requestDueExports, type ExportRequesterDeps } from '../domain/braze-export-request';
import { systemClock } from '../domain/ports';
import { brazeExportOverrides, queueUrl } from '../shared/config';
import { logger } from '../shared/powertools';

let deps: ExportRequesterDeps | undefined;
const requesterDeps = (): ExportRequesterDeps => {
  if (deps) return deps;
  const { restUrl, downloadDelaySeconds } = brazeExportOverrides();
  deps = {
    registry: brazeExportRegistry(),
    workspaces: workspaceStore(),
    secrets: configuredSecretBox(),
    braze: brazeRestApi(),
    queue: sqsDelayedQueue(queueUrl('brazeExport')),
    clock: systemClock,
    ...(restUrl ? { restUrlOverride: restUrl } : {}),
    ...(downloadDelaySeconds !== undefined ? { firstDownloadDelaySeconds: downloadDelaySeconds } : {}),
  };
  return deps;
};

export const handler = async (): Promise<{ requested: number; outcomes: { workspaceId: string; outcome: string }[] }> => {
  const outcomes = await requestDueExports(requesterDeps());
  for (const outcome of outcomes) if (outcome.outcome !== 'not-due') logger.info('braze export request', { ...outcome });
  return { requested: outcomes.filter((each) => each.outcome === 'bucket' || each.outcome === 'download').length, outcomes: outcomes.map(({ workspaceId, outcome }) => ({ workspaceId, outcome })) };
};
