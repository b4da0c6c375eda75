/** Probes for the health check: a key read on a table, an attribute read on a queue. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Probe } from '../domain/health';
import { dynamoClient } from './dynamo-client';
import { sqsClient } from './sqs-sender';

export const tableProbe =
  (table: string): Probe =>
  async () => {
    await dynamoClient().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'HEALTH' }, sk: { S: 'HEALTH' } } }));
  };

export const queueProbe =
  (queueUrl: string): Probe =>
  async () => {
    await sqsClient().send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  };
