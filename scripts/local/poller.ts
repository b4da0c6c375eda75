/**
 * A local stand-in for Lambda's SQS event source mapping: long-polls a queue, hands batches of up to
 * `batchSize` records to the worker handler, deletes the records that succeeded and leaves the ones
 * listed in `batchItemFailures` (or all, if the handler throws) to reappear after the visibility
 * timeout. SQS itself counts receives and moves a message to the DLQ after `maxReceiveCount`.
 *
 * FIFO queues: the emulator (fauxqs 1.9.2) keeps a group locked while any of its messages is in
 * flight, as SQS does, but when several messages of one group time out together it puts them back
 * in reverse order. So for a FIFO queue the poller holds the failed records for `fifoRetryDelayMs`
 * (the group stays locked, like a visibility timeout) and then releases them itself, last first,
 * with `ChangeMessageVisibility` 0 — each goes back to the front of its group, so the group's order
 * is kept.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './lambda-context';
import type { SqsLambda } from './handlers';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly name: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly handler: SqsLambda;
  readonly timeoutSeconds: number;
  /** Batches processed at once (Lambda would scale out; locally a small fixed number). */
  readonly concurrency?: number;
  /** A FIFO queue: failed records are released in order after `fifoRetryDelayMs` (see above). */
  readonly fifo?: boolean;
  readonly fifoRetryDelayMs?: number;
  readonly onBatch?: (stats: { received: number; failed: number }) => void;
}

export interface Poller {
  stop(): Promise<void>;
  /** Stops receiving (messages wait in the queue, as behind a disabled event source mapping) until `resume`. */
  pause(): void;
  resume(): void;
}

/** The SQS record Lambda's event source hands a worker for a received message. */
export const toRecord = (message: Message, queueArn: string): SQSRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: message.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const makeVisible = async (options: PollerOptions, messages: readonly Message[]): Promise<void> => {
  for (const message of messages) {
    await options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 })).catch(() => undefined);
  }
};

/** Puts failed FIFO records back at the front of their groups, in their order (last released first). */
const releaseInOrder = async (options: PollerOptions, failed: readonly Message[]): Promise<void> => {
  await sleep(options.fifoRetryDelayMs ?? 1000);
  await makeVisible(options, [...failed].reverse());
};

/** Runs the handler on one received batch like Lambda's event source: deletes what succeeded, keeps the failed records. */
const handleBatch = async (options: PollerOptions, messages: Message[]): Promise<void> => {
  const event: SQSEvent = { Records: messages.map((message) => toRecord(message, options.queueArn)) };
  let failedIds: Set<string>;
  try {
    const response = await options.handler(event, lambdaContext(options.name, options.timeoutSeconds));
    failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  } catch {
    failedIds = new Set(event.Records.map((record) => record.messageId));
  }
  const done = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
  if (done.length > 0) {
    await options.sqs
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
        }),
      )
      .catch(() => undefined);
  }
  if (options.fifo && failedIds.size > 0) await releaseInOrder(options, messages.filter((message) => failedIds.has(message.MessageId ?? '')));
  options.onBatch?.({ received: messages.length, failed: failedIds.size });
};

export const startPoller = (options: PollerOptions): Poller => {
  let running = true;
  let paused = false;
  const loop = async () => {
    while (running) {
      if (paused) {
        await sleep(200);
        continue;
      }
      let messages: Message[];
      try {
        const received = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: Math.min(options.batchSize, 10),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch {
        if (running) await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      // Paused while the receive was in flight: the messages go back, visible at once, unhandled.
      if (paused) await makeVisible(options, messages);
      else await handleBatch(options, messages);
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 2 }, () => loop());
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
  };
};
