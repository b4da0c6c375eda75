/**
 * Dead-letter queue operations for operators: depth of every DLQ, and redrive (move messages back
 * to their source queue). Redrive receives, re-sends, then deletes: a crash in between can only
 * duplicate a message, which the idempotent workers absorb — it never loses one.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { isFifoQueue, physicalDlqName, physicalQueueName, QUEUES, type QueueKey } from '../shared/definitions/queues';

const urlOf = async (sqs: SQSClient, name: string): Promise<string> =>
  (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';

export interface DlqDepth {
  queue: QueueKey;
  dlq: string;
  messages: number;
  inFlight: number;
}

export const dlqDepths = async (sqs: SQSClient, prefix: string): Promise<DlqDepth[]> => {
  const depths: DlqDepth[] = [];
  for (const queue of Object.keys(QUEUES) as QueueKey[]) {
    const dlq = physicalDlqName(prefix, queue);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await urlOf(sqs, dlq),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    depths.push({
      queue,
      dlq,
      messages: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    });
  }
  return depths;
};

/** Moves every message of a queue's DLQ back to the queue; returns how many moved. */
export const redriveDlq = async (sqs: SQSClient, prefix: string, queue: QueueKey): Promise<number> => {
  const source = await urlOf(sqs, physicalQueueName(prefix, queue));
  const dlq = await urlOf(sqs, physicalDlqName(prefix, queue));
  let moved = 0;
  for (;;) {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageSystemAttributeNames: ['MessageGroupId'] }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return moved;
    // A FIFO message keeps its group (order per member); its DLQ message id is a fresh deduplication id
    // (the original one may still be inside SQS's 5-minute window, which would drop the redrive).
    const fifo = (message: (typeof messages)[number]) =>
      isFifoQueue(queue) ? { MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive', MessageDeduplicationId: message.MessageId ?? '' } : {};
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: source,
        Entries: messages.map((message, index) => ({ Id: String(index), MessageBody: message.Body ?? '', ...fifo(message) })),
      }),
    );
    const failed = new Set((sent.Failed ?? []).map((entry) => entry.Id));
    const done = messages.filter((_, index) => !failed.has(String(index)));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlq,
          Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
        }),
      );
    }
    moved += done.length;
    if (failed.size > 0) throw new Error(`${failed.size} messages could not be re-sent; they stay in the DLQ`);
  }
};
