/**
 * changeWebhookWorker: the change-webhook FIFO queue's consumer (docs/events.md, "Signed webhook").
 * Parses the batch's messages in order and hands them to `deliverBatch`, which POSTs them signed,
 * retrying inside the invocation; the messages it could not deliver — the first failure and every
 * later message, to keep FIFO order — are reported in `batchItemFailures` (redelivered after the
 * visibility timeout, the DLQ after `maxReceiveCount`). A message that does not parse fails with
 * the rest of the batch after it. No idempotency layer: a redelivered POST carries the same
 * `event_id`s, which receivers drop.
 */
import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { fetchWebhookPoster, WEBHOOK_TIMEOUT_MS } from '../adapters/change-webhook';
import { configuredSecretBox } from '../adapters/secret-box';
import { webhookDeliveries, workspaceStore } from '../adapters/stores';
import { deliverBatch, POST_BUDGET_MS, type WebhookDeliveryDeps } from '../domain/change-webhook-delivery';
import { systemClock } from '../domain/ports';
import { changeWebhookMessageSchema, type ChangeWebhookMessageBody } from '../schemas/change-webhook';
import { parseJson } from '../shared/json';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';

let deps: WebhookDeliveryDeps | undefined;
const dependencies = (): WebhookDeliveryDeps =>
  (deps ??= {
    workspaces: workspaceStore(),
    secrets: configuredSecretBox(),
    poster: fetchWebhookPoster(),
    reports: webhookDeliveries(),
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    newId: () => randomBytes(6).toString('hex'),
  });

/** The messages up to the first that does not parse (that one and the rest fail: order). */
const parsedPrefix = (event: SQSEvent): ChangeWebhookMessageBody[] => {
  const messages: ChangeWebhookMessageBody[] = [];
  for (const record of event.Records) {
    const json = parseJson(record.body);
    const parsed = json.ok ? changeWebhookMessageSchema.safeParse(json.value) : undefined;
    if (!parsed?.success) {
      logger.error('change webhook message does not parse', { messageId: record.messageId });
      break;
    }
    messages.push(parsed.data);
  }
  return messages;
};

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    const messages = parsedPrefix(event);
    // A POST is not started unless it can use its whole budget before the function's time limit.
    const startNoLaterThan = systemClock.now() + context.getRemainingTimeInMillis() - POST_BUDGET_MS - WEBHOOK_TIMEOUT_MS - 5_000;
    const outcome = await deliverBatch(dependencies(), messages, startNoLaterThan);
    const failedFrom = Math.min(outcome.failed[0] ?? messages.length, messages.length);
    for (const delivery of outcome.deliveries) {
      if (delivery.outcome === 'delivered') metrics.addMetric(METRICS.webhookChangesDelivered, MetricUnit.Count, delivery.changes);
      if (delivery.outcome === 'rejected') metrics.addMetric(METRICS.webhookPostRejected, MetricUnit.Count, 1);
      if (delivery.outcome === 'exhausted') metrics.addMetric(METRICS.webhookPostExhausted, MetricUnit.Count, 1);
      if (delivery.outcome !== 'delivered') logger.warn('change webhook POST did not arrive', { deliveryId: delivery.deliveryId, outcome: delivery.outcome, statuses: delivery.attempts.map((a) => a.status) });
    }
    if (outcome.error) logger.error('change webhook batch stopped', { error: outcome.error });
    if (outcome.dropped > 0) logger.info('changes dropped: their workspace has no enabled webhook now', { dropped: outcome.dropped });
    const failed = event.Records.slice(failedFrom);
    if (failed.length > 0) metrics.addMetric(METRICS.recordFailed, MetricUnit.Count, failed.length);
    return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
