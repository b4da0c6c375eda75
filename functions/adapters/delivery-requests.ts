/**
 * The `DeliveryRequests` port over SQS: push requests become abTastyDelivery queue messages, sent in
 * `SendMessageBatch` calls of up to 10 with retries of the entries SQS reports as failed. A
 * coalesced request waits `coalesceSeconds` in the queue (per-message `DelaySeconds`, which is why
 * the queue is a standard queue: FIFO queues refuse per-message delays).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryRequests } from '../domain/ports';
import type { AbTastyPushMessage } from '../schemas/abtasty-delivery';
import { planBatches, sqsSafeJson } from '../shared/enqueue';

const ATTEMPTS = 3;

export interface DeliveryRequestsOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** SQS DelaySeconds of a coalesced request (0–900). */
  readonly coalesceSeconds: number;
}

/** Sends one batch, retrying failed entries; throws when some are still unsent. */
const sendBatch = async (options: DeliveryRequestsOptions, bodies: readonly string[], delaySeconds: number): Promise<void> => {
  let pending = [...bodies];
  let cause: unknown;
  for (let attempt = 1; pending.length > 0 && attempt <= ATTEMPTS; attempt += 1) {
    try {
      const result = await options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: pending.map((body, index) => ({ Id: String(index), MessageBody: body, DelaySeconds: delaySeconds })),
        }),
      );
      const failed = new Set((result.Failed ?? []).map((entry) => Number(entry.Id)));
      pending = pending.filter((_, index) => failed.has(index));
    } catch (error) {
      cause = error;
    }
  }
  if (pending.length > 0) throw new Error(`AB Tasty push requests: ${pending.length} of ${bodies.length} not queued`, { cause });
};

export const sqsDeliveryRequests = (options: DeliveryRequestsOptions): DeliveryRequests => ({
  async request(requests, { coalesce }) {
    // Escaped as every queued body is (a dedupe key may carry a Heap sync_task_id with any character).
    const bodies = requests.map((request): string => sqsSafeJson(JSON.stringify({ type: 'push', ...request } satisfies AbTastyPushMessage)));
    for (const batch of planBatches(bodies)) await sendBatch(options, batch, coalesce ? options.coalesceSeconds : 0);
  },
});
