/**
 * membershipHistory: the cohorts table's stream consumer (DynamoDB Streams event source in AWS,
 * `startStreamPoller` locally). Unmarshalls each record's old and new image and hands them to the
 * domain, which keeps member flips only, records them idempotently and publishes one change event
 * per recorded flip, naming profile members' external ids from the users table (docs/events.md). A failure reports the
 * batch's first record, so Lambda retries the whole batch (bisecting on error); a redelivered flip
 * overwrites its own history item.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { changeEventPublisher, historyStore, profileReader } from '../adapters/stores';
import { recordAndPublish } from '../domain/change-events';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';

const plain = (image: unknown): Record<string, unknown> | undefined => (image ? unmarshall(image as Record<string, AttributeValue>) : undefined);

/** The images of one stream record, as plain objects. */
export const imagesOf = (record: DynamoDBRecord) => ({
  oldImage: plain(record.dynamodb?.OldImage),
  newImage: plain(record.dynamodb?.NewImage),
});

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  try {
    const flips = await recordAndPublish({ history: historyStore(), events: changeEventPublisher(), profiles: profileReader() }, records.map(imagesOf));
    if (flips.length > 0) metrics.addMetric(METRICS.membershipFlipsRecorded, 'Count', flips.length);
    logger.debug('membership flips recorded', { records: records.length, flips: flips.length });
    return { batchItemFailures: [] };
  } catch (error) {
    logger.error('membership history batch failed', { records: records.length, error: (error as Error).message });
    const first = records[0]?.dynamodb?.SequenceNumber;
    return { batchItemFailures: first ? [{ itemIdentifier: first }] : [] };
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
