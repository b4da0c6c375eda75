/**
 * Worker of the brazeExport queue: applies Braze user export files — objects of the import bucket
 * (S3 event notifications) and download URLs — to the user directory (domain/braze-export-jobs.ts).
 * One file per message; partial batch failures and per-message idempotency come from sqsWorker.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { httpDownloader } from '../adapters/braze-http';
import { sqsDelayedQueue } from '../adapters/delayed-queue';
import { dynamoClient } from '../adapters/dynamo-client';
import { folderObjectSource, s3ObjectSource } from '../adapters/export-objects';
import { brazeExportRegistry, directoryImportReports, directoryStoreFor, membershipStore, setReads } from '../adapters/stores';
import { processBrazeExportMessage, type BrazeExportJobDeps } from '../domain/braze-export-jobs';
import { systemClock } from '../domain/ports';
import { brazeExportMessageSchema } from '../schemas/braze-export';
import { brazeExportOverrides, queueUrl } from '../shared/config';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';
import { sqsWorker } from '../shared/sqs-worker';

let deps: BrazeExportJobDeps | undefined;
const workerDeps = (): BrazeExportJobDeps => {
  if (deps) return deps;
  const { localS3Dir, downloadDelaySeconds } = brazeExportOverrides();
  const reads = setReads();
  deps = {
    directory: directoryStoreFor(),
    membership: { apply: (...args) => membershipStore().apply(...args), setsOfMember: (...args) => reads.setsOfMember(...args) },
    clock: systemClock,
    registry: brazeExportRegistry(),
    reports: directoryImportReports(),
    objects: localS3Dir ? folderObjectSource(localS3Dir) : s3ObjectSource(),
    downloads: httpDownloader(),
    queue: sqsDelayedQueue(queueUrl('brazeExport')),
    ...(downloadDelaySeconds !== undefined ? { retryDelaySeconds: downloadDelaySeconds } : {}),
  };
  return deps;
};

export const handler = sqsWorker({
  idempotencyClient: dynamoClient,
  queue: 'brazeExport',
  schema: brazeExportMessageSchema,
  process: async (message) => {
    for (const outcome of await processBrazeExportMessage(workerDeps(), message)) {
      if (outcome.status !== 'applied') {
        logger.warn('braze export file not applied', { file: outcome.file, status: outcome.status, reason: outcome.reason });
        continue;
      }
      const { counts } = outcome;
      logger.info('braze export file applied', { file: outcome.file, ...counts });
      metrics.addMetric(METRICS.directoryImportApplied, MetricUnit.Count, counts.profilesCreated + counts.profilesUpdated);
      metrics.addMetric(METRICS.directoryImportConflicts, MetricUnit.Count, counts.conflicts);
    }
  },
  // A file is remembered long enough to cover Braze's redeliveries and a redrive from the DLQ.
  idempotencySeconds: 14 * 24 * 3600,
});
