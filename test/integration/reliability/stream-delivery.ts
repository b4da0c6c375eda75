/**
 * Stream side of the fault-injection suite: reads the cohorts table's DynamoDB stream (DynamoDB
 * Local, `@aws-sdk/client-dynamodb-streams`) from where the last drain stopped, and hands its
 * records in order to the REAL `membershipHistory` handler in batches, as Lambda's DynamoDB Streams
 * event source does — with consumer redelivery faults: a batch processed twice (the first run's
 * writes and events landed, the event source retried it anyway), and a batch the handler reports
 * failed retried until it succeeds.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export interface StreamFaults {
  /** Records per handler invocation (Lambda's batch size, up to 100). */
  readonly batchSize: number;
  /** Batches (index modulo their number) that are delivered a second time right after they succeeded. */
  readonly redeliver: readonly number[];
}

/** Reads a table's stream incrementally: every shard from TRIM_HORIZON, then after the last record read. */
export class StreamReader {
  private readonly positions = new Map<string, string>();
  private streamArn = '';

  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly streams: DynamoDBStreamsClient,
    private readonly tableName: string,
  ) {}

  /** The stream's ARN (known after the first drain). */
  get arn(): string {
    return this.streamArn;
  }

  /** Every record written since the last call, shard by shard in order. */
  async drain(): Promise<StreamRecord[]> {
    if (!this.streamArn) {
      const table = await this.dynamo.send(new DescribeTableCommand({ TableName: this.tableName }));
      this.streamArn = table.Table?.LatestStreamArn ?? '';
      if (!this.streamArn) throw new Error(`table ${this.tableName} has no stream`);
    }
    const described = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    const records: StreamRecord[] = [];
    for (const shard of described.StreamDescription?.Shards ?? []) records.push(...(await this.readShard(shard.ShardId ?? '')));
    return records;
  }

  private async readShard(shardId: string): Promise<StreamRecord[]> {
    const after = this.positions.get(shardId);
    const started = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    const records: StreamRecord[] = [];
    for (let iterator = started.ShardIterator; iterator; ) {
      const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const got = page.Records ?? [];
      if (got.length === 0) break;
      records.push(...got);
      iterator = page.NextShardIterator;
    }
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) this.positions.set(shardId, last);
    return records;
  }
}

/** Totals of the stream deliveries (printed by the suite). */
export const streamStats = { records: 0, invocations: 0, redelivered: 0, failedRetried: 0 };

/** Delivers records to the handler in batches under the faults; a reported failure is retried (bounded). */
export const deliverStream = async (handler: StreamHandler, streamArn: string, records: readonly StreamRecord[], faults: StreamFaults): Promise<void> => {
  const size = Math.max(1, Math.min(100, faults.batchSize));
  const batches: StreamRecord[][] = [];
  for (let start = 0; start < records.length; start += size) batches.push(records.slice(start, start + size));
  const twice = new Set(faults.redeliver.map((index) => index % Math.max(1, batches.length)));
  streamStats.records += records.length;
  for (const [index, batch] of batches.entries()) {
    const event = { Records: batch.map((record) => ({ ...record, eventSourceARN: streamArn })) } as unknown as DynamoDBStreamEvent;
    for (let copy = 0; copy < (twice.has(index) ? 2 : 1); copy += 1) {
      if (copy > 0) streamStats.redelivered += 1;
      for (let attempt = 1; ; attempt += 1) {
        streamStats.invocations += 1;
        const answer = await handler(event);
        if (answer.batchItemFailures.length === 0) break;
        if (attempt >= 5) throw new Error(`membershipHistory kept failing a stream batch of ${batch.length} records`);
        streamStats.failedRetried += 1;
      }
    }
  }
};
