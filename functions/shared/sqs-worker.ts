/**
 * The worker side of every queue: Powertools `BatchProcessor` reports each failed record in
 * `batchItemFailures` (so only those are redelivered), and Powertools idempotency skips a message
 * whose `dedupeKey` was already processed (SQS delivers at least once; senders also retry whole
 * requests). Messages are parsed with zod; a message that never parses fails on every receive and
 * lands in the DLQ after the queue's `maxReceiveCount`. The DynamoDB client that stores the
 * idempotency records is injected by the handler (shared code builds no adapter).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod/mini';
import { tableName } from './config';
import { queueDefinition, QUEUES, type QueueKey } from './definitions/queues';
import { METRICS } from './metric-names';
import { logger, metrics } from './powertools';

/** Every queued message names the key under which its processing is deduplicated. */
export interface QueuedMessage {
  readonly dedupeKey: string;
}

export type WorkerOptions<T extends QueuedMessage> = {
  readonly queue: QueueKey;
  readonly schema: z.ZodMiniType<T>;
  readonly process: (message: T, record: SQSRecord) => Promise<void>;
  /** How long a processed message is remembered (seconds). */
  readonly idempotencySeconds?: number;
} & (
  | {
      /**
       * The client that reads and writes the idempotency records, built on first use: the
       * process's shared DynamoDB client (so anything hooked on it, like the fault suite's crash
       * middleware, sees these writes too).
       */
      readonly idempotencyClient: () => DynamoDBClient;
      readonly idempotency?: undefined;
    }
  | {
      /**
       * Turn off the idempotency layer: tests of the record logic, and a worker idempotent by
       * construction whose duplicates must not fail while the first copy runs (the AB Tasty worker).
       */
      readonly idempotency: false;
    }
);

/** Builds an SQS Lambda handler that reports partial batch failures. */
export const sqsWorker = <T extends QueuedMessage>(options: WorkerOptions<T>) => {
  const processor = new BatchProcessor(EventType.SQS);
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'dedupeKey',
    expiresAfterSeconds: options.idempotencySeconds ?? 24 * 3600,
  });
  let idempotentProcess: ((message: T, record: SQSRecord) => Promise<void>) | undefined;

  const processOnce = (message: T, record: SQSRecord): Promise<void> => {
    if (options.idempotency === false) return options.process(message, record);
    idempotentProcess ??= makeIdempotent(options.process, {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: tableName('idempotency'),
        awsSdkV3Client: options.idempotencyClient(),
      }),
      config: idempotencyConfig,
    });
    return idempotentProcess(message, record);
  };

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
    try {
      const message = options.schema.parse(JSON.parse(record.body));
      await processOnce(message, record);
    } catch (error) {
      const poison = receives >= QUEUES[options.queue].maxReceiveCount;
      logger.warn('record failed', { messageId: record.messageId, receives, poison, error: (error as Error).message });
      metrics.addMetric(poison ? METRICS.poisonMessage : METRICS.recordFailed, MetricUnit.Count, 1);
      throw error;
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    idempotencyConfig.registerLambdaContext(context);
    try {
      // An all-failed batch is reported record by record too, rather than thrown: same redelivery, clearer logs.
      return await processPartialResponse(event, recordHandler, processor, {
        context,
        throwOnFullBatchFailure: false,
        // A membership worker's record already writes many partitions at once: records one after another.
        processInParallel: queueDefinition(options.queue).parallelRecords !== false,
      });
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
};
