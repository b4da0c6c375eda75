/** The `DelayedQueue` port (domain/ports.ts) over SQS: one message, delivered after `DelaySeconds`. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DelayedQueue } from '../domain/ports';
import { sqsClient } from './sqs-sender';

/** SQS's longest delay. */
export const MAX_DELAY_SECONDS = 900;

export const sqsDelayedQueue = (queueUrl: string, sqs: SQSClient = sqsClient()): DelayedQueue => ({
  async sendLater(body, delaySeconds) {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds))) }));
  },
});
