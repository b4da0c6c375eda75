import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { dynamoClient } from '../../functions/adapters/dynamo-client';
import { sqsWorker } from '../../functions/shared/sqs-worker';
import { QUEUES } from '../../functions/shared/definitions/queues';
import { startPoller } from '../../scripts/local/poller';
import { lambdaContext } from '../../scripts/local/lambda-context';
import { eventually, startTestHub, type TestHub } from './harness';

const messageSchema = z.object({ dedupeKey: z.string(), fail: z.boolean() });

describe('worker framework with the local poller, SQS emulator and DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  it('reports exactly the failing record in batchItemFailures', async () => {
    // Arrange
    const processed: string[] = [];
    const worker = sqsWorker({
      queue: 'cohortImport',
      schema: messageSchema,
      idempotencyClient: dynamoClient,
      process: (message) => {
        if (message.fail) return Promise.reject(new Error('boom'));
        processed.push(message.dedupeKey);
        return Promise.resolve();
      },
    });
    const record = (id: string, body: unknown) => ({
      messageId: id,
      receiptHandle: id,
      body: JSON.stringify(body),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    });
    const event = {
      Records: [record('m1', { dedupeKey: 'k1', fail: false }), record('m2', { dedupeKey: 'k2', fail: true }), record('m3', { dedupeKey: 'k3', fail: false })],
    } as unknown as SQSEvent;

    // Act
    const response = await worker(event, lambdaContext('test-worker'));

    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect(processed.sort()).toEqual(['k1', 'k3']);
  });

  it('skips a message whose dedupeKey was already processed (idempotency table)', async () => {
    let runs = 0;
    const worker = sqsWorker({
      queue: 'cohortImport',
      schema: messageSchema,
      idempotencyClient: dynamoClient,
      process: () => {
        runs += 1;
        return Promise.resolve();
      },
    });
    const event = (id: string) =>
      ({
        Records: [{ messageId: id, receiptHandle: id, body: JSON.stringify({ dedupeKey: 'same-key', fail: false }), attributes: { ApproximateReceiveCount: '1' } }],
      }) as unknown as SQSEvent;

    await worker(event('first'), lambdaContext('test-worker'));
    await worker(event('second'), lambdaContext('test-worker'));

    expect(runs).toBe(1);
  });

  it('the poller redelivers a failed record and SQS moves it to the DLQ after maxReceiveCount', async () => {
    // Arrange: a worker that always fails one message and counts how often it saw it
    const queue = hub.queues.cohortImport;
    const seen = new Map<string, number>();
    const worker = sqsWorker({
      queue: 'cohortImport',
      schema: messageSchema,
      idempotency: false,
      process: (message) => {
        seen.set(message.dedupeKey, (seen.get(message.dedupeKey) ?? 0) + 1);
        return message.fail ? Promise.reject(new Error('poison')) : Promise.resolve();
      },
    });
    const arn = (await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const poller = startPoller({ sqs: hub.sqs, name: 'test', queueUrl: queue.url, queueArn: arn, batchSize: 10, handler: worker, timeoutSeconds: 30, concurrency: 1 });

    // Act
    await hub.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'good', MessageBody: JSON.stringify({ dedupeKey: 'good', fail: false }) },
          { Id: 'bad', MessageBody: JSON.stringify({ dedupeKey: 'bad', fail: true }) },
        ],
      }),
    );
    const dead = await eventually(async () => {
      const received = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      return received.Messages?.length ? received.Messages : undefined;
    }, 30000, 'the poison message in the DLQ');
    await poller.stop();

    // Assert
    expect(dead.map((message) => JSON.parse(message.Body!).dedupeKey)).toEqual(['bad']);
    expect(seen.get('good')).toBe(1);
    expect(seen.get('bad')).toBe(QUEUES.cohortImport.maxReceiveCount);
  });

  it('a message that never parses ends in the DLQ instead of blocking the queue', async () => {
    const queue = hub.queues.currents;
    const worker = sqsWorker({ queue: 'currents', schema: messageSchema, idempotency: false, process: () => Promise.resolve() });
    const arn = (await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const poller = startPoller({ sqs: hub.sqs, name: 'test', queueUrl: queue.url, queueArn: arn, batchSize: 10, handler: worker, timeoutSeconds: 30, concurrency: 1 });

    await hub.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'not json' }));
    const dead = await eventually(async () => {
      const received = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, WaitTimeSeconds: 1 }));
      return received.Messages?.length ? received.Messages : undefined;
    }, 30000, 'the unparseable message in the DLQ');
    await poller.stop();

    expect(dead[0]?.Body).toBe('not json');
  });

  it('a paused poller leaves its messages queued; resumed, it handles them', async () => {
    const queueUrl = (await hub.sqs.send(new CreateQueueCommand({ QueueName: `paused-${Date.now()}` }))).QueueUrl ?? '';
    const handled: string[] = [];
    const worker = (event: SQSEvent) => {
      handled.push(...event.Records.map((record) => record.body));
      return Promise.resolve({ batchItemFailures: [] });
    };
    const poller = startPoller({ sqs: hub.sqs, name: 'test', queueUrl, queueArn: 'arn:aws:sqs:us-east-1:000000000000:paused', batchSize: 10, handler: worker, timeoutSeconds: 30, concurrency: 1 });
    const queued = async () => Number((await hub.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);
    try {
      poller.pause();
      await hub.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'while paused' }));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(handled).toEqual([]);
      expect(await queued()).toBe(1);

      poller.resume();
      await eventually(() => Promise.resolve(handled.length > 0 ? true : undefined), 10000, 'the message handled after resume');
    } finally {
      await poller.stop();
    }
    expect(handled).toEqual(['while paused']);
    expect(await queued()).toBe(0);
  });
});
