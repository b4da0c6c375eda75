/**
 * The `QueuePublisher` port (domain/ports.ts) over SQS: messages sized as they will be sent, packed
 * into `SendMessageBatch` calls and sent with retries (shared/enqueue.ts).
 */
import type { QueuePublisher } from '../domain/ports';
import { sendAll, sqsMessageFits, type QueueSender } from '../shared/enqueue';

export const queuePublisher = (sender: QueueSender, queueUrl: string): QueuePublisher => ({
  fits: sqsMessageFits,
  publishAll: (bodies) => sendAll(sender, queueUrl, bodies),
});
