/**
 * A local stand-in for Lambda's DynamoDB Streams event source: reads every shard of a table's
 * stream from TRIM_HORIZON with `@aws-sdk/client-dynamodb-streams` (DynamoDB Local keeps streams),
 * hands batches of up to 100 records to the same handler module, and retries a batch the handler
 * reports a failure for (up to `MAX_TRIES`, as the event source's retries), newer shards as they appear.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { withoutSdkLogger } from '../../functions/adapters/aws-clients';
import { lambdaContext } from './lambda-context';

export type StreamLambda = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  readonly dynamo: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly name: string;
  readonly tableName: string;
  readonly handler: StreamLambda;
  readonly timeoutSeconds: number;
  /** Pause between rounds that found nothing new. */
  readonly idleMs?: number;
}

export interface StreamPoller {
  stop(): Promise<void>;
  /** Stops reading (records wait in the stream, as behind a disabled event source mapping) until `resume`. */
  pause(): void;
  resume(): void;
  /** Resolves after a whole round that found nothing new: the consumer has caught up. */
  settled(): Promise<void>;
}

const MAX_TRIES = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stream client for a local DynamoDB endpoint (same endpoint, region and credentials as the table client). */
export const localStreamsClient = async (dynamo: DynamoDBClient): Promise<DynamoDBStreamsClient> => {
  const config = dynamo.config;
  const endpoint = config.endpoint ? await config.endpoint() : undefined;
  const url = endpoint ? `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}` : undefined;
  // Without the SDK's logger middleware: it would filter every record image for a logger that discards them.
  return withoutSdkLogger(new DynamoDBStreamsClient({ region: await config.region(), credentials: await config.credentials(), ...(url ? { endpoint: url } : {}) }));
};

const listShards = async (streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> => {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const page = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }));
    shards.push(...(page.StreamDescription?.Shards ?? []));
    start = page.StreamDescription?.LastEvaluatedShardId;
  } while (start);
  return shards;
};

/** Hands one batch to the handler until it reports no failure (or the tries are spent, as Lambda's retryAttempts). */
const deliver = async (options: StreamPollerOptions, streamArn: string, records: StreamRecord[]): Promise<void> => {
  const event = { Records: records.map((record) => ({ ...record, eventSourceARN: streamArn })) } as unknown as DynamoDBStreamEvent;
  for (let attempt = 1; attempt <= MAX_TRIES; attempt += 1) {
    try {
      const response = await options.handler(event, lambdaContext(options.name, options.timeoutSeconds));
      if ((response?.batchItemFailures ?? []).length === 0) return;
    } catch {
      // retried like a thrown Lambda invocation
    }
    await sleep(Math.min(2000, 50 * 2 ** attempt));
  }
  console.error(`${options.name}: a stream batch of ${records.length} records failed ${MAX_TRIES} times (dropped, as to an on-failure destination)`);
};

export const startStreamPoller = async (options: StreamPollerOptions): Promise<StreamPoller> => {
  const described = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const iterators = new Map<string, string | undefined>();
  /** The last sequence number handed to the handler per shard: a lost iterator resumes after it. */
  const positions = new Map<string, string>();
  const iteratorFor = async (shardId: string): Promise<string | undefined> => {
    const after = positions.get(shardId);
    const started = await options.streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }) }),
    );
    return started.ShardIterator;
  };
  /** Reads one shard once; DynamoDB Local sometimes answers TrimmedDataAccessException for a live iterator: a new one resumes after the last record read. */
  const readShard = async (shardId: string): Promise<boolean> => {
    if (!iterators.has(shardId)) iterators.set(shardId, await iteratorFor(shardId));
    const iterator = iterators.get(shardId);
    if (!iterator) return false;
    let page;
    try {
      page = await options.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
    } catch (error) {
      iterators.delete(shardId);
      throw error;
    }
    iterators.set(shardId, page.NextShardIterator);
    const records = page.Records ?? [];
    if (records.length === 0) return false;
    await deliver(options, streamArn, records);
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) positions.set(shardId, last);
    return true;
  };
  const round = async (): Promise<boolean> => {
    let found = false;
    for (const shard of await listShards(options.streams, streamArn)) {
      if (await readShard(shard.ShardId ?? '').catch(() => false)) found = true;
    }
    return found;
  };
  return pollingLoop(round, options.idleMs ?? 100);
};

/**
 * Runs `round` until stopped, pausing `idleMs` after a round that found nothing; `pause` stops the
 * rounds without stopping the loop, and `settled` resolves after the next round that found nothing.
 */
const pollingLoop = (round: () => Promise<boolean>, idleMs: number): StreamPoller => {
  let running = true;
  let paused = false;
  const waiters: (() => void)[] = [];
  const loop = async () => {
    while (running) {
      const found = paused ? true : await round().catch(() => false);
      if (!found) for (const wake of waiters.splice(0)) wake();
      if ((!found || paused) && running) await sleep(idleMs);
    }
  };
  const looping = loop();
  return {
    stop: async () => {
      running = false;
      await looping;
      for (const wake of waiters.splice(0)) wake();
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    settled: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
};
