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
  /** The interleaving this invocation's DynamoDB calls wait their turn in, and its actor number. */
  gate?: { readonly interleaving: Interleaving; readonly actor: number };
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Makes the interleaving of concurrent worker code deterministic: every DynamoDB call of the
 * invocations run through `run` waits at a gate; one call is in flight at a time. When the last
 * released call has returned and what it woke has run (microtasks, immediates), the next call is
 * picked from the waiting ones — sorted by actor, then arrival — by the plan's `choices`. So the
 * same plan replays the same order of DynamoDB calls, including the records of one batch and two
 * batches run "at once", whatever the machine's timing.
 *
 * Time is virtual for the workers' sleeps (their back-off, and the pause before trying a held member
 * partition again): a sleep ends only when no call is waiting and none is in flight — the earliest
 * sleep first, and the hub's clock (`Interleaving.now`, which the suite installs as `systemClock`)
 * jumps to its end. In AWS a DynamoDB call takes milliseconds and a pause tens to hundreds, so calls
 * going first is the realistic order, and nothing waits in real time: a sleep costs no wall-clock
 * time, and no actor can be starved by a plan that keeps picking another actor's retries.
 */
export class Interleaving {
  private readonly waiting: { actor: number; seq: number; release: () => void }[] = [];
  private readonly sleepers = new Map<NodeJS.Timeout, { due: number; seq: number; fire: () => void }>();
  private inFlight = false;
  private pumping = false;
  /** While `run` runs, only `settle` ends the hub's sleeps (so their order is the plan's, not the machine's). */
  private running = false;
  private step = 0;
  private seq = 0;
  /** Milliseconds of workers' sleeps ended early (how far the virtual clock is ahead of the real one). */
  static skippedMs = 0;
  /** The hub's clock under the suite: real time plus the sleeps skipped. */
  static now = (): number => Date.now() + Interleaving.skippedMs;

  constructor(private readonly choices: readonly number[]) {}

  /** Runs the invocations concurrently under this interleaving (each gets its own actor number). */
  async run<T>(invocations: readonly ((gate: CrashPlan['gate']) => Promise<T>)[]): Promise<T[]> {
    const restore = this.trackTimers();
    this.running = true;
    try {
      return await Promise.all(invocations.map((invocation, actor) => invocation({ interleaving: this, actor }).finally(() => this.pump())));
    } finally {
      this.running = false;
      restore();
      // Nothing should still sleep (the hub waits for what it started); if something does, it wakes now.
      for (const sleeper of [...this.sleepers.values()]) sleeper.fire();
    }
  }

  /** Waits for this actor's turn; `done` must be called when the released call has returned. */
  turn(actor: number): Promise<void> {
    return new Promise((release) => {
      this.waiting.push({ actor, seq: (this.seq += 1), release });
      this.pump();
    });
  }

  done(): void {
    this.inFlight = false;
    this.pump();
  }

  private pump(): void {
    if (this.pumping || this.inFlight) return;
    this.pumping = true;
    void this.settle().then(() => {
      this.pumping = false;
      if (this.inFlight || this.waiting.length === 0) return;
      this.waiting.sort((a, b) => a.actor - b.actor || a.seq - b.seq);
      const choice = this.choices.length === 0 ? 0 : (this.choices[this.step % this.choices.length] ?? 0);
      this.step += 1;
      const [next] = this.waiting.splice(choice % this.waiting.length, 1);
      this.inFlight = true;
      next?.release();
    });
  }

  /** Lets what the last call woke run; while no call is waiting, ends the earliest sleep (the clock jumps to its end). */
  private async settle(): Promise<void> {
    for (;;) {
      await immediate();
      await immediate();
      if (this.waiting.length > 0 || this.inFlight) return;
      const [earliest] = [...this.sleepers.values()].sort((a, b) => a.due - b.due || a.seq - b.seq);
      if (!earliest) return;
      Interleaving.skippedMs += Math.max(0, Math.ceil(earliest.due - Interleaving.now()));
      earliest.fire();
    }
  }

  /**
   * Makes the timers the hub's code starts inside this interleaving's invocations (its back-off and
   * busy pauses) sleeps `settle` can end early; other timers (the SDK's socket timers) stay real.
   * Each sleep keeps a real timer too (a real handle for the code that holds it), which ends it only
   * once `run` is over.
   */
  private trackTimers(): () => void {
    const original = globalThis.setTimeout;
    const originalClear = globalThis.clearTimeout;
    const sleepers = this.sleepers;
    const tracked = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      if (invocation.getStore()?.gate?.interleaving !== this || !startedByHub(tracked)) return original(callback, ms, ...args);
      const fire = () => {
        if (!sleepers.delete(handle)) return;
        originalClear(handle);
        callback(...args);
      };
      const handle: NodeJS.Timeout = original(() => {
        if (!this.running) fire();
      }, ms);
      sleepers.set(handle, { due: Interleaving.now() + (ms ?? 0), seq: (this.seq += 1), fire });
      return handle;
    }) as typeof setTimeout;
    globalThis.setTimeout = tracked;
    globalThis.clearTimeout = ((handle?: NodeJS.Timeout | string | number) => {
      if (handle !== undefined && typeof handle === 'object') sleepers.delete(handle);
      originalClear(handle);
    });
    return () => {
      globalThis.setTimeout = original;
      globalThis.clearTimeout = originalClear;
    };
  }
}

/** True when the function calling `fn` is the hub's own code (under `functions/`), not a library's. */
const startedByHub = (fn: (...args: never[]) => unknown): boolean => {
  const trace: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(trace, fn);
  Error.stackTraceLimit = limit;
  return /[\\/]functions[\\/]/.test(trace.stack ?? '');
};

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
      if (!plan?.gate) return crashing(plan, context.commandName, () => next(args));
      const { interleaving, actor } = plan.gate;
      await interleaving.turn(actor);
      try {
        return await crashing(plan, context.commandName, () => next(args));
      } finally {
        interleaving.done();
      }
    },
    { step: 'initialize', name: 'faultInjectionCrash', override: true },
  );
};

/** Sends one call, throwing an injected crash at the plan's write: before it is sent or after it landed. */
const crashing = async <T>(plan: CrashPlan | undefined, commandName: string | undefined, send: () => Promise<T>): Promise<T> => {
  if (!plan || !WRITE_COMMAND.test(commandName ?? '')) return send();
  plan.writes += 1;
  writeStats.writes += 1;
  const crashNow = !plan.crashed && plan.writes === plan.crashAt;
  if (crashNow && !plan.after) {
    plan.crashed = true;
    writeStats.crashes += 1;
    throw new InjectedCrash(plan.writes);
  }
  const result = await send();
  if (crashNow) {
    plan.crashed = true;
    writeStats.crashes += 1;
    throw new InjectedCrash(plan.writes);
  }
  return result;
};

/**
 * A Lambda context whose remaining time is already past: Powertools idempotency sets the
 * in-progress lock to expire at now + remaining time, so every lock has expired by the time another
 * copy looks. In AWS a redelivery comes only after the visibility timeout (≥ the function timeout),
 * when a crashed invocation's lock has expired; the harness compresses that time. It also means a
 * duplicate delivered while the first copy runs really runs concurrently with it instead of being
 * refused — the harder case for the membership engine — and, unlike a lock of 1 ms, it does not
 * depend on how many milliseconds the machine took (the interleaving stays the plan's).
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
  getRemainingTimeInMillis: () => -1000,
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

/** Invokes the real worker handler on one batch (under an interleaving's gate, if given); returns the records it reported as failed. */
export const invoke = async (batch: Batch, gate?: CrashPlan['gate']): Promise<InvocationOutcome> => {
  const plan: CrashPlan = { writes: 0, crashAt: batch.crashAt ?? 0, after: batch.crashAfterWrite ?? false, crashed: false, ...(gate ? { gate } : {}) };
  const response = await invocation.run(plan, () => batch.handler({ Records: batch.records }, context(batch.name)));
  const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  return { failed: batch.records.filter((record) => failedIds.has(record.messageId)), crashed: plan.crashed, writes: plan.writes };
};
