/**
 * Cohort import worker (SQS cohortImport): resolves identifiers to existing profiles, applies the
 * membership delta and records the import report (domain/cohort-matching.ts). Partial batch
 * failures and per-message idempotency come from sqsWorker; on its last receive before the DLQ a
 * failing part marks its import report "failed".
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoClient } from '../adapters/dynamo-client';
import { decisionLog, directoryStoreFor, importReports, membershipStore, partnerKeyLog, profileReader, setWriter } from '../adapters/stores';
import { applyCohortUpsert, applyMembershipPart, cohortRef, type WorkerDeps } from '../domain/cohort-matching';
import { importFailureCode } from '../domain/import-failures';
import { isoNow, systemClock } from '../domain/ports';
import { cohortImportMessageSchema, type CohortImportMessage } from '../schemas/cohort-import';
import { QUEUES } from '../shared/definitions/queues';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';
import { sqsWorker } from '../shared/sqs-worker';

let deps: WorkerDeps | undefined;
const workerDeps = (): WorkerDeps =>
  (deps ??= {
    claims: directoryStoreFor(),
    profiles: profileReader(),
    membership: membershipStore(),
    sets: setWriter(),
    reports: importReports(),
    partnerKeys: partnerKeyLog(),
    clock: systemClock,
    decisions: decisionLog(),
  });

const processMessage = async (message: CohortImportMessage): Promise<void> => {
  if (message.type === 'cohort') {
    await applyCohortUpsert(workerDeps(), message);
    return;
  }
  const outcome = await applyMembershipPart(workerDeps(), message);
  logger.info('cohort import part applied', {
    importId: message.importId,
    part: message.part,
    parts: message.parts,
    matched: outcome.matched,
    unmatched: outcome.unmatched,
    ...outcome.result,
  });
  metrics.addMetric(METRICS.cohortIdentifiersMatched, MetricUnit.Count, outcome.matched);
  metrics.addMetric(METRICS.cohortIdentifiersUnmatched, MetricUnit.Count, outcome.unmatched);
};

export const handler = sqsWorker({
  idempotencyClient: dynamoClient,
  queue: 'cohortImport',
  schema: cohortImportMessageSchema,
  process: async (message, record) => {
    try {
      await processMessage(message);
    } catch (error) {
      const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
      if (receives >= QUEUES.cohortImport.maxReceiveCount) {
        // Last attempt before SQS moves the message to the DLQ: say so in the report, with a code
        // (the error's own message stays in the log, never in the report).
        const part = message.type === 'members' ? message.part : 0;
        const code = importFailureCode(error);
        logger.error('cohort import part failed for good', { importId: message.importId, part, code, error: error as Error });
        const { reports, clock } = workerDeps();
        await reports
          .markFailed({ set: cohortRef(message.workspaceId, message.cohortId), importId: message.importId }, part, code, isoNow(clock))
          .catch((markError: unknown) => logger.warn('could not mark import failed', { error: (markError as Error).message }));
      }
      throw error;
    }
  },
});
