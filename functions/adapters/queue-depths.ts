/**
 * `QueueDepthReader` over SQS: each work queue's approximate visible and in-flight messages, and its
 * dead-letter queue's visible messages (found from the queue's RedrivePolicy).
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDepth, QueueDepthReader } from '../domain/ports';
import { optionalQueueUrl } from '../shared/config';
import { QUEUES, type QueueKey } from '../shared/definitions/queues';

const attributes = async (sqs: SQSClient, url: string, names: string[]) =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }))).Attributes ?? {};

/** Visible messages of the DLQ named by a RedrivePolicy (`deadLetterTargetArn` = arn:aws:sqs:<region>:<account>:<name>). */
const dlqVisible = async (sqs: SQSClient, redrivePolicy: string | undefined): Promise<number | null> => {
  if (!redrivePolicy) return null;
  const target = (JSON.parse(redrivePolicy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
  const arn = typeof target === 'string' ? target : '';
  const [, , , , account, name] = arn.split(':');
  if (!name) return null;
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }))).QueueUrl;
  return url ? Number((await attributes(sqs, url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages ?? 0) : null;
};

const depthOf = async (sqs: SQSClient, queue: QueueKey, url: string): Promise<QueueDepth> => {
  const found = await attributes(sqs, url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'RedrivePolicy']);
  return {
    queue,
    visible: Number(found.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(found.ApproximateNumberOfMessagesNotVisible ?? 0),
    dlqVisible: await dlqVisible(sqs, found.RedrivePolicy),
  };
};

export const sqsQueueDepths = (sqs: SQSClient): QueueDepthReader => ({
  depths: () =>
    Promise.all(
      (Object.keys(QUEUES) as QueueKey[]).flatMap((queue) => {
        const url = optionalQueueUrl(queue);
        return url ? [depthOf(sqs, queue, url)] : [];
      }),
    ),
});
