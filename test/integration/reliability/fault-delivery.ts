/**
 * Delivery side of the fault-injection suite: takes the messages the ingest handlers put on the
 * real SQS queues and hands them to the real worker handlers the way a faulty Lambda/SQS
 * integration could — reordered, duplicated, redelivered by SQS while or after they run, two
 * batches at once, and with a worker that crashes at its k-th DynamoDB write. Failed records are
 * redelivered (as SQS does after the visibility timeout) until every message has succeeded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Per-invocation crash plan, carried through the SDK middleware by AsyncLocalStorage. */
interface CrashPlan {
  writes: number;
  crashAt: number;
  after: boolean;
  crashed: boolean;
}

const invocation = new AsyncLocalStorage<CrashPlan>();
const WRITE_COMMAND = /^(Put|Update|Delete|TransactWrite|BatchWrite)(Item|Items)?Command$/;

export class InjectedCrash extends Error {
  constructor(readonly writeNumber: number) {
    super(`injected crash at write ${writeNumber}`);
    this.name = 'InjectedCrash';
  }
}

/** Totals over every invocation (to prove the middleware sees the workers' writes). */
export const writeStats = { writes: 0, crashes: 0 };

/**
 * Installs the crash middleware once on the handlers' shared DynamoDB client. Outside a planned
 * invocation it only counts; inside, the `crashAt`-th write throws — before it is sent (the write
 * is lost) or after it succeeded (the write landed, the worker never learns) — like a crash mid-batch.
 */
export const installCrashMiddleware = (client: DynamoDBClient): void => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const plan = invocation.getStore();
      if (!plan || !WRITE_COMMAND.test(context.commandName ?? '')) return next(args);
      plan.writes += 1;
      writeStats.writes += 1;
      const crashNow = !plan.crashed && plan.writes === plan.crashAt;
      if (crashNow && !plan.after) {
        plan.crashed = true;
        writeStats.crashes += 1;
        throw new InjectedCrash(plan.writes);
      }
      const result = await next(args);
      if (crashNow) {
        plan.crashed = true;
        writeStats.crashes += 1;
        throw new InjectedCrash(plan.writes);
      }
      return result;
    },
    { step: 'initialize', name: 'faultInjectionCrash', override: true },
  );
};

/**
 * A Lambda context whose remaining time is 1 ms: Powertools idempotency sets the in-progress lock
 * to expire then. In AWS a redelivery comes only after the visibility timeout (≥ the function
 * timeout), when a crashed invocation's lock has expired; the harness compresses that time. It
 * also means a duplicate delivered while the first copy runs really runs concurrently with it
 * instead of being refused — the harder case for the membership engine.
 */
const context = (name: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: name,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${name}`,
  logStreamName: 'faults',
  getRemainingTimeInMillis: () => 1,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export const toRecord = (message: Message, queueArn: string, receiveCount: number): SQSRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: String(Date.now()),
    SenderId: 'faults',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
});

/**
 * Receives every message visible on a queue: at least `atLeast` of them, then until a receive comes
 * back empty (the harness's queues have a long visibility timeout, so nothing reappears meanwhile).
 */
export const receiveAll = async (sqs: SQSClient, queueUrl: string, atLeast: number): Promise<Message[]> => {
  const messages: Message[] = [];
  for (let empty = 0; empty < 50; ) {
    const result = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const got = result.Messages ?? [];
    messages.push(...got);
    if (got.length > 0) continue;
    if (messages.length >= atLeast) break;
    empty += 1;
  }
  if (messages.length < atLeast) throw new Error(`expected at least ${atLeast} messages on ${queueUrl}, received ${messages.length}`);
  return messages;
};

/** SQS redelivery: makes an in-flight message visible again (its visibility timeout "expired") and receives it anew. */
export const redeliverFromQueue = async (sqs: SQSClient, queueUrl: string, message: Message): Promise<Message> => {
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const result = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const got = result.Messages ?? [];
    const mine = got.find((candidate) => candidate.MessageId === message.MessageId);
    // Anything else that became visible is not ours to take now: hand it back at once.
    for (const other of got) {
      if (other !== mine) {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: other.ReceiptHandle, VisibilityTimeout: 0 }));
      }
    }
    if (mine) return mine;
  }
  throw new Error(`message ${message.MessageId ?? ''} did not come back`);
};

export const deleteAll = async (sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> => {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }
};

export interface Batch {
  readonly handler: SqsHandler;
  readonly name: string;
  readonly records: SQSRecord[];
  /** Throw at this write number of the invocation (undefined: no crash). */
  readonly crashAt?: number;
  readonly crashAfterWrite?: boolean;
}

export interface InvocationOutcome {
  readonly failed: SQSRecord[];
  readonly crashed: boolean;
  readonly writes: number;
}

/** Invokes the real worker handler on one batch; returns the records it reported as failed. */
export const invoke = async (batch: Batch): Promise<InvocationOutcome> => {
  const plan: CrashPlan = { writes: 0, crashAt: batch.crashAt ?? 0, after: batch.crashAfterWrite ?? false, crashed: false };
  const response = await invocation.run(plan, () => batch.handler({ Records: batch.records }, context(batch.name)));
  const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  return { failed: batch.records.filter((record) => failedIds.has(record.messageId)), crashed: plan.crashed, writes: plan.writes };
};
