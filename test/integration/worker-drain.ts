/**
 * Runs what an integration test queued through the real worker handlers, as Lambda's SQS event
 * source would, without waiting for visibility timeouts: a record a worker reports as failed is
 * made visible again at once, so SQS counts its receives and moves it to the queue's DLQ after
 * `maxReceiveCount`, exactly as in AWS. Then `dlqDepths` tells whether anything became poison.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { functionDefinitions } from '../../functions/shared/definitions/functions';
import { QUEUES, type QueueKey } from '../../functions/shared/definitions/queues';
import { loadHandler, type SqsLambda } from '../../scripts/local/handlers';
import type { LocalHub } from '../../scripts/local/hub';
import { lambdaContext } from '../../scripts/local/lambda-context';
import { toRecord } from '../../scripts/local/poller';

export interface DrainStats {
  /** Records handed to the worker (a redelivery counts again). */
  received: number;
  /** Records the worker reported as failed. */
  failed: number;
}

/** Visible plus in-flight messages of a queue (the emulator's counts are exact). */
export const queueDepth = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
};

/** Messages in every DLQ, by queue. */
export const dlqDepths = async (hub: Pick<LocalHub, 'sqs' | 'queues'>): Promise<Record<QueueKey, number>> => {
  const depths = {} as Record<QueueKey, number>;
  for (const key of Object.keys(QUEUES) as QueueKey[]) depths[key] = await queueDepth(hub.sqs, hub.queues[key].dlqUrl);
  return depths;
};

const drainQueue = async (hub: Pick<LocalHub, 'sqs' | 'queues'>, name: string, queue: QueueKey, handler: SqsLambda, deadline: number): Promise<DrainStats> => {
  const { url } = hub.queues[queue];
  const arn = (await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  const stats: DrainStats = { received: 0, failed: 0 };
  while ((await queueDepth(hub.sqs, url)) > 0) {
    if (Date.now() > deadline) throw new Error(`${queue} did not drain in time`);
    const received = await hub.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: QUEUES[queue].batchSize, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const response = await handler({ Records: messages.map((message) => toRecord(message, arn)) }, lambdaContext(name, QUEUES[queue].workerTimeoutSeconds));
    const failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    const entries = (done: boolean) =>
      messages.filter((message) => failedIds.has(message.MessageId ?? '') !== done).map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' }));
    stats.received += messages.length;
    stats.failed += failedIds.size;
    if (entries(true).length > 0) await hub.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: entries(true) }));
    // The visibility timeout "expires" at once: SQS redelivers, counting receives towards the DLQ.
    const failed = entries(false).map((entry) => ({ ...entry, VisibilityTimeout: 0 }));
    if (failed.length > 0) await hub.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: failed }));
  }
  return stats;
};

/** Processes every queue through its worker until it is empty (done or moved to its DLQ). */
export const drainThroughWorkers = async (hub: Pick<LocalHub, 'sqs' | 'queues'>, timeoutMs = 600_000): Promise<Record<QueueKey, DrainStats>> => {
  const deadline = Date.now() + timeoutMs;
  const stats = {} as Record<QueueKey, DrainStats>;
  for (const [name, definition] of functionDefinitions()) {
    if (!definition.consumes) continue;
    stats[definition.consumes] = await drainQueue(hub, name, definition.consumes, await loadHandler<SqsLambda>(definition), deadline);
  }
  return stats;
};
