/**
 * abTastyDelivery worker: one message per invocation — a push request (after Heap changes, a daily
 * refresh, or a follow-up) or the daily sweep — through `processDeliveryMessage`. A push AB Tasty
 * refused (`failed`) is counted (alarmed) and done; one whose transient failures outlasted the
 * retries (`exhausted`) fails the record, so SQS retries it later (DLQ after maxReceiveCount).
 */
import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { abTastyTokenProvider } from '../adapters/abtasty-oauth';
import { abTastyUdcSender, DEFAULT_UDC_TIMEOUT_MS } from '../adapters/abtasty-udc';
import { configuredSecretBox } from '../adapters/secret-box';
import { deliveryLeases, deliveryReports, deliveryRequests, setReads, workspaceStore } from '../adapters/stores';
import { processDeliveryMessage, type DeliveryWorkOutcome, type PushDeps } from '../domain/abtasty-push';
import { systemClock } from '../domain/ports';
import { abTastyDeliveryMessageSchema, type AbTastyDeliveryMessage } from '../schemas/abtasty-delivery';
import { QUEUES } from '../shared/definitions/queues';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';
import { sqsWorker } from '../shared/sqs-worker';

const TOKEN_TIMEOUT_MS = 10_000;
const WORKER_TIMEOUT_MS = QUEUES.abTastyDelivery.workerTimeoutSeconds * 1000;
/** What one more attempt may need: a token grant, a whole upload, then storing the report and releasing the lease. */
const ATTEMPT_BUDGET_MS = TOKEN_TIMEOUT_MS + DEFAULT_UDC_TIMEOUT_MS + 30_000;
/** The lease outlives the function (a live push is never overlapped); a crashed push frees it a minute after its time limit. */
const LEASE_MS = WORKER_TIMEOUT_MS + 60_000;

let deps: PushDeps | undefined;

const dependencies = (): PushDeps => {
  deps ??= {
    workspaces: workspaceStore(),
    secrets: configuredSecretBox(),
    segments: setReads(),
    leases: deliveryLeases(),
    reports: deliveryReports(),
    requests: deliveryRequests(),
    connect: ({ clientId, clientSecret }) => ({ tokens: abTastyTokenProvider({ clientId, clientSecret, timeoutMs: TOKEN_TIMEOUT_MS }), sender: abTastyUdcSender() }),
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    newId: () => randomBytes(8).toString('hex'),
  };
  return deps;
};

/** Logs and counts an outcome; an exhausted push throws, failing the record. */
const account = (message: AbTastyDeliveryMessage, outcome: DeliveryWorkOutcome): void => {
  const about = message.type === 'push' ? { workspaceId: message.workspaceId, reason: message.reason, requestedAt: message.requestedAt } : { scheduledAt: message.scheduledAt };
  if (outcome.kind !== 'pushed') return logger.info(`AB Tasty ${message.type}: ${outcome.kind}`, { ...about, ...outcome });
  const { report, deliveryId, followUp } = outcome;
  const summary = { ...about, deliveryId, followUp, outcome: report.outcome, status: report.status, rows: report.rows, bytes: report.bytes, attempts: report.attempts.length };
  if (report.outcome === 'delivered') metrics.addMetric(METRICS.abTastyDelivered, MetricUnit.Count, 1);
  if (report.outcome === 'failed') metrics.addMetric(METRICS.abTastyDeliveryFailed, MetricUnit.Count, 1);
  if (report.outcome === 'exhausted') metrics.addMetric(METRICS.abTastyDeliveryExhausted, MetricUnit.Count, 1);
  // AB Tasty's answer is kept (redacted of the token and secret by the adapters) for failures only.
  if (report.outcome === 'failed' || report.outcome === 'exhausted') logger.warn('AB Tasty push did not arrive', { ...summary, message: report.message });
  else logger.info('AB Tasty push', summary);
  if (report.outcome === 'exhausted') throw new Error(`AB Tasty push ${deliveryId} exhausted its retries (last status ${String(report.status)}): the queue retries it`);
};

export const handler = sqsWorker({
  // No Powertools idempotency: the worker is idempotent by construction (a request already covered
  // by a settled push pushes nothing; one arriving during a push is handed to it), and a duplicate
  // arriving while the first copy runs must be handed over, not failed as "in progress" (which
  // would count receives towards the DLQ).
  idempotency: false,
  queue: 'abTastyDelivery',
  schema: abTastyDeliveryMessageSchema,
  process: async (message) => {
    // One message per invocation (batch size 1): its time limit starts about now.
    const start = systemClock.now();
    const outcome = await processDeliveryMessage(dependencies(), message, { leaseMs: LEASE_MS, lastAttemptBy: start + WORKER_TIMEOUT_MS - ATTEMPT_BUDGET_MS });
    account(message, outcome);
  },
});
