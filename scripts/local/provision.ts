/**
 * Creates the tables and queues from the shared definitions (the same ones the CDK stacks read), so
 * the local stack has exactly the deployed keys, indexes, TTLs, DLQs and redrive policies.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  DLQ_RETENTION_SECONDS,
  isFifoQueue,
  MAX_MESSAGE_BYTES,
  physicalDlqName,
  physicalQueueName,
  QUEUES,
  visibilityTimeoutSeconds,
  type QueueDefinition,
  type QueueKey,
} from '../../functions/shared/definitions/queues';
import { physicalTableName, TABLES, type TableDefinition, type TableKey } from '../../functions/shared/definitions/tables';

export const tableInput = (table: TableDefinition, name: string, streams = true): CreateTableCommandInput => {
  const attributes = new Set<string>([table.partitionKey]);
  if (table.sortKey) attributes.add(table.sortKey);
  for (const gsi of table.gsis) {
    attributes.add(gsi.partitionKey);
    attributes.add(gsi.sortKey);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    ...(table.stream && streams ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } } : {}),
    AttributeDefinitions: [...attributes].map((attribute) => ({ AttributeName: attribute, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    ...(table.gsis.length > 0
      ? {
          GlobalSecondaryIndexes: table.gsis.map((gsi) => ({
            IndexName: gsi.indexName,
            KeySchema: [
              { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: gsi.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
};

/**
 * Creates every table that does not exist yet; returns physical names by logical key. `streams:
 * false` leaves the streams off: DynamoDB Local's cost per write grows with the number of
 * stream-enabled tables it holds (11 transactions of 98 puts: ~1 s with none, ~40 s beside 60 of
 * them), so test hubs without stream consumers do not create them.
 */
export const provisionTables = async (client: DynamoDBClient, prefix: string, { streams = true } = {}): Promise<Record<TableKey, string>> => {
  const names = {} as Record<TableKey, string>;
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const table: TableDefinition = TABLES[key];
    const name = physicalTableName(prefix, key);
    names[key] = name;
    try {
      const existing = await client.send(new DescribeTableCommand({ TableName: name }));
      // A table kept in .hub/dynamodb from before its stream was defined gets it now.
      if (streams && table.stream && !existing.Table?.StreamSpecification?.StreamEnabled) {
        await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } }));
      }
      continue;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    await client.send(new CreateTableCommand(tableInput(table, name, streams)));
    if (table.ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true } }),
      );
    }
  }
  return names;
};

export interface ProvisionedQueue {
  readonly url: string;
  readonly dlqUrl: string;
}

/**
 * The visibility timeout a local queue gets: the override, except that a worker allowed more than a
 * minute per message (the Braze export worker: a whole file) keeps at least its timeout, so a
 * message is not delivered again while it is still being processed.
 */
const localVisibility = (queue: QueueDefinition, override: number | undefined): number =>
  override === undefined ? visibilityTimeoutSeconds(queue) : Math.max(override, queue.workerTimeoutSeconds > 60 ? queue.workerTimeoutSeconds : 0);

/** A FIFO queue's attributes (the sender sets deduplication ids, as in the CDK stack). */
const fifoAttributes = (key: QueueKey): Record<string, string> => (isFifoQueue(key) ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {});

/**
 * Creates every work queue with its DLQ. `visibilitySeconds` overrides the deployed visibility
 * timeout (6× the worker timeout) so that local redelivery is observable in seconds.
 */
export const provisionQueues = async (
  sqs: SQSClient,
  prefix: string,
  visibilitySeconds?: number,
): Promise<Record<QueueKey, ProvisionedQueue>> => {
  const result = {} as Record<QueueKey, ProvisionedQueue>;
  for (const key of Object.keys(QUEUES) as QueueKey[]) {
    const queue = QUEUES[key];
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: physicalDlqName(prefix, key),
        Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS), MaximumMessageSize: String(MAX_MESSAGE_BYTES), ...fifoAttributes(key) },
      }),
    );
    const dlqUrl = dlq.QueueUrl ?? '';
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: physicalQueueName(prefix, key),
        Attributes: {
          VisibilityTimeout: String(localVisibility(queue, visibilitySeconds)),
          MaximumMessageSize: String(MAX_MESSAGE_BYTES),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: queue.maxReceiveCount }),
          ...fifoAttributes(key),
        },
      }),
    );
    result[key] = { url: main.QueueUrl ?? '', dlqUrl };
  }
  return result;
};
