/** SQS implementation of the `QueueSender` port. */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueSender } from '../shared/enqueue';
import { withoutSdkLogger } from './aws-clients';

let client: SQSClient | undefined;

/**
 * One SQS client per execution environment. `useQueueUrlAsEndpoint: false` makes the SDK send to
 * the configured endpoint (AWS's regional one, or `AWS_ENDPOINT_URL_SQS` locally) rather than to the
 * host inside the queue URL, which the local emulator sets to a name that does not resolve.
 */
export const sqsClient = (): SQSClient => {
  client ??= withoutSdkLogger(new SQSClient({ useQueueUrlAsEndpoint: false, maxAttempts: 3 }));
  return client;
};

export const sqsSender = (sqs: SQSClient = sqsClient()): QueueSender => ({
  async sendBatch(queueUrl, bodies) {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    return { failed: (result.Failed ?? []).map((entry) => Number(entry.Id)) };
  },
});
