/**
 * BatchWriteItem over any number of requests: 25 a call (DynamoDB's limit), unprocessed items
 * retried with exponential back-off and jitter (AWS's advice: they come back when a partition is
 * throttled, and an immediate retry would be throttled again).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const BATCH_WRITE_LIMIT = 25;
const MAX_ROUNDS = 10;

export interface BatchWriteCounter {
  batchWrite: number;
  unprocessedRetries: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const batchWriteAll = async (
  db: DynamoDBDocumentClient,
  table: string,
  requests: readonly Record<string, unknown>[],
  counter: BatchWriteCounter = { batchWrite: 0, unprocessedRetries: 0 },
  /** Calls in flight at once (bulk loads); requests must then not depend on each other's order. */
  concurrency = 1,
): Promise<void> => {
  const writeGroup = async (group: Record<string, unknown>[]) => {
    let pending = group;
    for (let round = 1; pending.length > 0; round += 1) {
      if (round > MAX_ROUNDS) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed`);
      counter.batchWrite += 1;
      const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = result.UnprocessedItems?.[table] ?? [];
      if (pending.length > 0) {
        counter.unprocessedRetries += 1;
        await sleep(Math.random() * Math.min(2000, 25 * 2 ** round));
      }
    }
  };
  const groups: Record<string, unknown>[][] = [];
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) groups.push(requests.slice(start, start + BATCH_WRITE_LIMIT));
  let next = 0;
  const lane = async () => {
    while (next < groups.length) await writeGroup(groups[next++] as Record<string, unknown>[]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, groups.length)) }, lane));
};
