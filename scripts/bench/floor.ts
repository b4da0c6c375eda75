/**
 * The floor: the fewest DynamoDB writes a scenario needs (one item per change, shaped as the hub
 * stores it, index keys included: any design storing that item pays its index write), issued
 * directly with BatchWriteItem at 25 items a call and the same concurrency as the pipeline. No
 * pipeline can beat it on the same DynamoDB; the ratio pipeline/floor says how much the hub's own
 * work (reads, decisions, counts, queues, HTTP) costs.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface FloorResult {
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSecond: number;
  readonly requests: number;
}

export const runFloor = async (
  doc: DynamoDBDocumentClient,
  table: string,
  items: number,
  concurrency: number,
  makeItem: (index: number) => Record<string, unknown>,
): Promise<FloorResult> => {
  let next = 0;
  let requests = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= items) return;
      next += 25;
      let pending = Array.from({ length: Math.min(25, items - start) }, (_, offset) => ({ PutRequest: { Item: makeItem(start + offset) } }));
      while (pending.length > 0) {
        requests += 1;
        const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  return { items, seconds, itemsPerSecond: items / seconds, requests };
};
