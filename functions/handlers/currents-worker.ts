/**
 * Worker of the currents queue: stores events and rejects, builds the user directory from them.
 * Partial batch failures come from sqsWorker; the archive, the identity commands' markers and
 * ordering rules live in domain/currents.ts.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { decisionLog, directoryStoreFor, eventArchive, eventStore, historyStore, membershipStore, setReads } from '../adapters/stores';
import { processCurrentsMessage } from '../domain/currents';
import { systemClock } from '../domain/ports';
import { currentsMessageSchema } from '../schemas/currents';
import { settings } from '../shared/config';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';
import { sqsWorker } from '../shared/sqs-worker';

export const handler = sqsWorker({
  // No message-level record: every step is idempotent by construction (event items and archive
  // objects are overwritten with the same content, directory facts are conditional and monotonic,
  // merges and deletions have their own markers), so the record's two writes per message would only
  // save work on a rare whole-batch re-send — and a concurrent duplicate need not fail.
  idempotency: false,
  queue: 'currents',
  schema: currentsMessageSchema,
  process: async (message) => {
    const reads = setReads();
    const started = systemClock.now();
    const stats = await processCurrentsMessage(
      {
        directory: directoryStoreFor(),
        membership: { apply: (...args) => membershipStore().apply(...args), setsOfMember: (...args) => reads.setsOfMember(...args) },
        events: eventStore(),
        archive: eventArchive(),
        history: historyStore(),
        decisions: decisionLog(),
        clock: systemClock,
        hotDays: settings().EVENT_HOT_DAYS,
      },
      message,
    );
    metrics.addMetric(METRICS.currentsEventsStored, MetricUnit.Count, stats.stored);
    if (stats.duplicates > 0) metrics.addMetric(METRICS.currentsDuplicates, MetricUnit.Count, stats.duplicates);
    if (stats.rejects > 0) metrics.addMetric(METRICS.currentsRejectsStored, MetricUnit.Count, stats.rejects);
    logger.debug('currents message processed', { workspaceId: message.workspaceId, ms: systemClock.now() - started, ...stats });
  },
});
