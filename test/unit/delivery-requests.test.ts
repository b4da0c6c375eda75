import type { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsDeliveryRequests } from '../../functions/adapters/delivery-requests';
import { abTastyDeliveryMessageSchema } from '../../functions/schemas/abtasty-delivery';

/** An SQS client that records each batch and fails the entries `failing` names on their first try. */
const fakeSqs = (failing: Set<string> = new Set()) => {
  const batches: NonNullable<SendMessageBatchCommand['input']['Entries']>[] = [];
  const sqs = {
    send: (command: SendMessageBatchCommand) => {
      const entries = command.input.Entries ?? [];
      batches.push(entries);
      const failed = entries.filter((entry) => failing.delete(JSON.parse(entry.MessageBody ?? '{}').workspaceId as string));
      return Promise.resolve({ Failed: failed.map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })) });
    },
  };
  return { sqs: sqs as never, batches };
};

const request = (workspaceId: string) => ({ workspaceId, requestedAt: 1_800_000_000_000, reason: 'change' as const, dedupeKey: `abtasty#${workspaceId}` });

describe('push requests on SQS', () => {
  it('delays coalesced requests by the configured seconds and the others not at all, as push messages the worker parses', async () => {
    const { sqs, batches } = fakeSqs();
    const requests = sqsDeliveryRequests({ sqs, queueUrl: 'q', coalesceSeconds: 20 });

    await requests.request([request('a')], { coalesce: true });
    await requests.request([request('b')], { coalesce: false });

    expect(batches.map((entries) => entries.map((entry) => entry.DelaySeconds))).toEqual([[20], [0]]);
    expect(abTastyDeliveryMessageSchema.parse(JSON.parse(batches[0]![0]!.MessageBody!))).toEqual({ type: 'push', ...request('a') });
  });

  it('sends many in batches of ten, resends the entries SQS failed, and escapes what the emulator refuses', async () => {
    const { sqs, batches } = fakeSqs(new Set(['w3']));
    const requests = sqsDeliveryRequests({ sqs, queueUrl: 'q', coalesceSeconds: 20 });

    await requests.request([...Array.from({ length: 12 }, (_, index) => request(`w${index}`)), { ...request('emoji'), dedupeKey: 'abtasty#🎉' }], { coalesce: false });

    expect(batches.map((entries) => entries.length)).toEqual([10, 1, 3]);
    expect(batches[2]!.at(-1)!.MessageBody).toContain('\\ud83c\\udf89');
  });

  it('throws when a request cannot be queued after the retries (the caller fails its message)', async () => {
    const sqs = { send: () => Promise.reject(new Error('throttled')) } as never;

    await expect(sqsDeliveryRequests({ sqs, queueUrl: 'q', coalesceSeconds: 20 }).request([request('a')], { coalesce: true })).rejects.toThrow('1 of 1 not queued');
  });
});
