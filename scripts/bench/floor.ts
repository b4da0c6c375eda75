/**
 * The floor: the fewest DynamoDB writes a scenario needs (one item per change, shaped as the hub
 * stores it, index keys included: any design storing that item pays its index write), issued
 * directly with BatchWriteItem at 25 items a call and the same concurrency as the pipeline. No
 * pipeline can beat it on the same DynamoDB; the ratio pipeline/floor says how much the hub's own
 * work (reads, decisions, counts, queues, HTTP) costs.
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface FloorResult {
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSecond: number;
  readonly requests: number;
}

/**
 * A read before the writes (the identifier's claim for a cohort import, the user's profile for
 * Currents): before each block of 100 writes, one strongly consistent BatchGetItem of the ≤ 100 keys
 * `key(index)` gives — the least any design that matches before it writes must read. Several
 * lookups are read one after the other. Without any the floor is writes only.
 */
export interface FloorLookup {
  readonly table: string;
  /** The key read for change `index`; undefined: nothing to read for it. */
  readonly key: (index: number) => Record<string, unknown> | undefined;
}

const LOOKUP_BLOCK = 100;

const batchRead = async (doc: DynamoDBDocumentClient, lookup: FloorLookup, start: number, count: number): Promise<number> => {
  let requests = 0;
  const keys = Array.from({ length: count }, (_, offset) => lookup.key(start + offset)).filter((key) => key !== undefined);
  const unique = new Map(keys.map((key) => [JSON.stringify(key), key]));
  let pending = [...unique.values()];
  while (pending.length > 0) {
    requests += 1;
    const result = await doc.send(new BatchGetCommand({ RequestItems: { [lookup.table]: { Keys: pending, ConsistentRead: true } } }));
    pending = (result.UnprocessedKeys?.[lookup.table]?.Keys ?? []) as typeof pending;
  }
  return requests;
};

export const runFloor = async (
  doc: DynamoDBDocumentClient,
  table: string,
  items: number,
  concurrency: number,
  makeItem: (index: number) => Record<string, unknown>,
  lookups: readonly FloorLookup[] = [],
): Promise<FloorResult> => {
  let next = 0;
  let requests = 0;
  const block = lookups.length > 0 ? LOOKUP_BLOCK : 25;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= items) return;
      next += block;
      const count = Math.min(block, items - start);
      // One read after the other, as a matching pipeline needs each before the next.
      for (const lookup of lookups) {
        // Read first, then add: `requests += await …` would add to the count as it was before the wait.
        const reads = await batchRead(doc, lookup, start, count);
        requests += reads;
      }
      for (let from = start; from < start + count; from += 25) {
        let pending = Array.from({ length: Math.min(25, start + count - from) }, (_, offset) => ({ PutRequest: { Item: makeItem(from + offset) } }));
        while (pending.length > 0) {
          requests += 1;
          const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
          pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  return { items, seconds, itemsPerSecond: items / seconds, requests };
};
