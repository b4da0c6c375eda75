/**
 * BatchWriteItem over any number of requests: 25 a call (DynamoDB's limit), unprocessed items
 * retried with exponential back-off and jitter (see retry.ts), at most `MAX_ROUNDS` calls per group.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inLanes } from '../../shared/lanes';
import { backoff, chunk } from './retry';

export const BATCH_WRITE_LIMIT = 25;
const MAX_ROUNDS = 10;

export interface BatchWriteCounter {
  batchWrite: number;
  unprocessedRetries: number;
}

export type WriteRequest = Record<string, unknown>;

export const batchWriteAll = async (
  db: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  counter: BatchWriteCounter = { batchWrite: 0, unprocessedRetries: 0 },
  /** Calls in flight at once (bulk loads); requests must then not depend on each other's order. */
  concurrency = 1,
): Promise<void> => {
  const writeGroup = async (group: WriteRequest[]) => {
    let pending = group;
    for (let round = 1; pending.length > 0; round += 1) {
      if (round > MAX_ROUNDS) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed`);
      counter.batchWrite += 1;
      const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = result.UnprocessedItems?.[table] ?? [];
      if (pending.length > 0) {
        counter.unprocessedRetries += 1;
        await backoff(round, 25, 2000);
      }
    }
  };
  await inLanes(chunk(requests, BATCH_WRITE_LIMIT), concurrency, writeGroup);
};

/** Put requests for items. */
export const putRequests = (items: readonly Record<string, unknown>[]): WriteRequest[] => items.map((Item) => ({ PutRequest: { Item } }));

/** Delete requests for keys. */
export const deleteRequests = (keys: readonly Record<string, unknown>[]): WriteRequest[] => keys.map((Key) => ({ DeleteRequest: { Key } }));
