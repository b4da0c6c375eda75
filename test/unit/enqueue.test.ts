import { chunkForMessages, enqueueAll, planBatches, type QueueSender } from '../../functions/shared/enqueue';
import { PayloadTooLargeError, QueueUnavailableError } from '../../functions/shared/errors';

const recordingSender = (failures: number[][] = []): QueueSender & { sent: string[][] } => {
  const sent: string[][] = [];
  let call = 0;
  return {
    sent,
    sendBatch: (_url, bodies) => {
      const failed = failures[call] ?? [];
      call += 1;
      sent.push(bodies.filter((_, index) => !failed.includes(index)));
      return Promise.resolve({ failed });
    },
  };
};

describe('enqueue', () => {
  it('packs at most 10 entries and 256 KiB per SendMessageBatch', () => {
    const small = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const big = Array.from({ length: 3 }, () => 'x'.repeat(100_000));

    expect(planBatches(small).map((b) => b.length)).toEqual([10, 10, 5]);
    expect(planBatches(big).map((b) => b.length)).toEqual([2, 1]);
  });

  it('refuses a single message over 256 KiB with 413', () => {
    expect(() => planBatches(['x'.repeat(262_145)])).toThrow(PayloadTooLargeError);
  });

  it('retries entries SQS reported as failed until all are sent', async () => {
    const sender = recordingSender([[1], []]);

    await enqueueAll(sender, 'q', ['a', 'b', 'c']);

    expect(sender.sent).toEqual([['a', 'c'], ['b']]);
  });

  it('answers 503 when entries keep failing', async () => {
    const sender = recordingSender([[0], [0], [0]]);

    await expect(enqueueAll(sender, 'q', ['a'])).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('counts what was queued before giving up: "nothing was accepted" only when nothing was', async () => {
    const bodies = Array.from({ length: 15 }, (_, i) => `m${i}`);
    // Call 1 (10 entries) succeeds; the second batch then loses entry 0 on every attempt.
    const laterFails = recordingSender([[], [0], [0], [0]]);
    const firstFails = recordingSender([[0, 1], [0, 1], [0, 1]]);

    const partly = await enqueueAll(laterFails, 'q', bodies).then(() => undefined, (error: unknown) => error as QueueUnavailableError);
    const nothing = await enqueueAll(firstFails, 'q', ['a', 'b']).then(() => undefined, (error: unknown) => error as QueueUnavailableError);

    expect(partly).toBeInstanceOf(QueueUnavailableError);
    expect(partly?.message).toContain('part of this request was queued');
    expect(partly?.logDetail).toMatchObject({ queuedMessages: 14, messages: 15 });
    expect(nothing?.message).toContain('nothing was accepted');
    expect(nothing?.logDetail).toMatchObject({ queuedMessages: 0, messages: 2 });
  });

  it('answers 503 when the SDK call throws on every attempt', async () => {
    const sender: QueueSender = { sendBatch: () => Promise.reject(new Error('connection refused')) };

    await expect(enqueueAll(sender, 'q', ['a'])).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('splits items into messages that each fit the SQS limit', () => {
    const items = Array.from({ length: 1000 }, (_, i) => `identifier-${i}-${'y'.repeat(500)}`);

    const bodies = chunkForMessages(items, (chunk) => JSON.stringify({ items: chunk }));

    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((b) => Buffer.byteLength(b) <= 262_144)).toBe(true);
    expect(bodies.flatMap((b) => (JSON.parse(b) as { items: string[] }).items)).toEqual(items);
  });
});
