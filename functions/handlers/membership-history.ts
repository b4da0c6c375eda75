/**
 * membershipHistory: the cohorts table's stream consumer (DynamoDB Streams event source in AWS,
 * `startStreamPoller` locally). Unmarshalls each record's old and new image and hands them to the
 * domain, which keeps member flips only, records them idempotently and publishes one change event
 * per recorded flip, naming profile members' external ids from the users table (docs/events.md), and
 * queues the same details for workspaces with a change webhook on its FIFO queue (webhook settings
 * cached briefly per process). A failure reports the batch's first record, so Lambda retries the
 * whole batch (bisecting on error); a redelivered flip overwrites its own history item.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { changeEventPublisher, changeWebhookQueue, historyStore, profileReader, workspaceStore } from '../adapters/stores';
import { recordPublishAndQueue, webhookTargets } from '../domain/change-webhook';
import { systemClock } from '../domain/ports';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';

const plain = (image: unknown): Record<string, unknown> | undefined => (image ? unmarshall(image as Record<string, AttributeValue>) : undefined);

/** The images of one stream record, as plain objects. */
export const imagesOf = (record: DynamoDBRecord) => ({
  oldImage: plain(record.dynamodb?.OldImage),
  newImage: plain(record.dynamodb?.NewImage),
});

/** Which workspaces have a webhook, cached per warm process. */
let hasWebhook: ((workspaceId: string) => Promise<boolean>) | undefined;

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  try {
    hasWebhook ??= webhookTargets(workspaceStore(), systemClock);
    const webhooks = { queue: changeWebhookQueue(), hasWebhook };
    const { flips, queued } = await recordPublishAndQueue({ history: historyStore(), events: changeEventPublisher(), profiles: profileReader(), webhooks }, records.map(imagesOf));
    if (flips.length > 0) metrics.addMetric(METRICS.membershipFlipsRecorded, 'Count', flips.length);
    logger.debug('membership flips recorded', { records: records.length, flips: flips.length, queuedForWebhooks: queued });
    return { batchItemFailures: [] };
  } catch (error) {
    logger.error('membership history batch failed', { records: records.length, error: (error as Error).message });
    const first = records[0]?.dynamodb?.SequenceNumber;
    return { batchItemFailures: first ? [{ itemIdentifier: first }] : [] };
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
