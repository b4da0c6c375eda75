import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { dlqDepths, redriveDlq } from '../../functions/adapters/dlq';
import { eventually, startTestHub, type TestHub } from './harness';

describe('admin dlq list / redrive on the SQS emulator', () => {
  let hub: TestHub;
  const prefix = `dlq${Date.now().toString(36)}`;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false, prefix });
  });
  afterAll(() => hub.stop());

  it('lists DLQ depth per queue and moves every dead message back to its source queue', async () => {
    // Arrange: two messages dead-lettered on the heap-sync queue
    for (const body of ['{"dedupeKey":"a"}', '{"dedupeKey":"b"}']) {
      await hub.sqs.send(new SendMessageCommand({ QueueUrl: hub.queues.heapSync.dlqUrl, MessageBody: body }));
    }
    const before = await dlqDepths(hub.sqs, prefix);

    // Act
    const moved = await redriveDlq(hub.sqs, prefix, 'heapSync');

    // Assert
    expect(before.find((d) => d.queue === 'heapSync')?.messages).toBe(2);
    expect(before.find((d) => d.queue === 'currents')?.messages).toBe(0);
    expect(moved).toBe(2);
    const bodies: string[] = [];
    await eventually(async () => {
      const received = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: hub.queues.heapSync.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      bodies.push(...(received.Messages ?? []).map((m) => m.Body ?? ''));
      return bodies.length >= 2 ? true : undefined;
    }, 10_000, 'redriven messages');
    expect(bodies.sort()).toEqual(['{"dedupeKey":"a"}', '{"dedupeKey":"b"}']);
    expect((await dlqDepths(hub.sqs, prefix)).find((d) => d.queue === 'heapSync')?.messages).toBe(0);
  });
});
