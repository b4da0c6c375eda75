/**
 * BatchGetItem over any number of keys of one table: 100 keys a call (DynamoDB's limit),
 * `UnprocessedKeys` (throttling, the 16 MB response cap) retried with exponential back-off and
 * jitter, at most `MAX_ROUNDS` calls per chunk. Keys must be distinct (DynamoDB refuses duplicates
 * in one call); items come back in no particular order.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inLanes } from '../../shared/lanes';
import { backoff, chunk } from './retry';

export const BATCH_GET_LIMIT = 100;
const MAX_ROUNDS = 10;

export type Consistency = 'strong' | 'eventual';

export interface BatchGetOptions {
  /** Strongly consistent reads see every write acknowledged before the call. */
  readonly consistency: Consistency;
  /** Calls in flight at once; chunks are independent reads. Default 1. */
  readonly concurrency?: number;
  /** Counts BatchGetItem calls, for benchmarks. */
  readonly counter?: { batchGet: number };
}

type Key = Record<string, unknown>;
type Request = Record<string, { Keys: Key[]; ConsistentRead?: boolean }>;

export const batchGetAll = async (
  db: DynamoDBDocumentClient,
  table: string,
  keys: readonly Key[],
  options: BatchGetOptions,
): Promise<Record<string, unknown>[]> => {
  const found: Record<string, unknown>[] = [];
  const readChunk = async (part: Key[]) => {
    let request: Request | undefined = {
      [table]: { Keys: part, ...(options.consistency === 'strong' ? { ConsistentRead: true } : {}) },
    };
    for (let round = 1; request && Object.keys(request).length > 0; round += 1) {
      if (round > MAX_ROUNDS) throw new Error(`BatchGetItem left ${request[table]?.Keys.length ?? 0} keys unprocessed`);
      if (round > 1) await backoff(round - 1, 25, 2000);
      if (options.counter) options.counter.batchGet += 1;
      const result = await db.send(new BatchGetCommand({ RequestItems: request }));
      found.push(...(result.Responses?.[table] ?? []));
      request = result.UnprocessedKeys as Request | undefined;
    }
  };
  await inLanes(chunk(keys, BATCH_GET_LIMIT), options.concurrency ?? 1, readChunk);
  return found;
};
