/** Shared steps of the pipeline scenarios: seeding, waiting for the pipeline to drain, summarising. */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoSetReads } from '../../../functions/adapters/set-reads';
import { memberItem, type MemberWrite } from '../../../functions/adapters/membership-shard';
import type { ChangeSource, SetKind, SetRef } from '../../../functions/domain/membership';
import type { QueueKey } from '../../../functions/shared/definitions/queues';
import { cpuBetween, sampleCpu } from '../cpu';
import { runFloor, type FloorLookup } from '../floor';
import type { BenchContext, PipelineResult } from '../run';

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/** Sends write requests with BatchWriteItem, 25 a call, 8 calls in flight (setup and cleanup, not measured). */
const writeAll = async (context: BenchContext, table: string, requests: readonly WriteRequest[]): Promise<void> => {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= requests.length) return;
      next += 25;
      let pending = requests.slice(start, start + 25);
      while (pending.length > 0) {
        const result = await context.doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
};

/** Writes items (setup, not measured). */
export const seed = (context: BenchContext, table: string, items: readonly Record<string, unknown>[]): Promise<void> =>
  writeAll(context, table, items.map((Item) => ({ PutRequest: { Item } })));

/**
 * Deletes what a floor wrote (not measured), so each floor writes into the table the pipeline left
 * and the scenarios after it run on no more data than the pipelines stored.
 */
const clearFloor = (context: BenchContext, table: string, changes: number, floorItem: (index: number) => Record<string, unknown>): Promise<void> =>
  writeAll(
    context,
    table,
    Array.from({ length: changes }, (_, index) => {
      const { pk, sk } = floorItem(index);
      return { DeleteRequest: { Key: { pk, sk } } };
    }),
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds and the queue (and its in-flight messages) is empty. */
export const waitForPipeline = async (context: BenchContext, queue: QueueKey, done: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attributes = await context.hub.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: context.hub.queues[queue].url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const pending = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (pending === 0 && (await done())) return;
    if (Date.now() > deadline) throw new Error(`pipeline ${queue} did not drain in ${timeoutMs / 1000} s`);
    await sleep(50);
  }
};

/** A set's count as the read APIs give it (META plus its count shards); 0 before the set exists. */
export const memberCount = async (context: BenchContext, set: SetRef): Promise<number> => (await dynamoSetReads(context.doc, context.hub.tables.cohorts).getSet(set))?.memberCount ?? 0;

/** The version of every floor member: fixed, like its other attributes. */
const FLOOR_VERSION = '000001763900000#bench-0000';

/**
 * A member item exactly as the membership engine stores it (adapters/membership-shard.ts
 * `memberItem`: its member partition, the byMember index key, the change's `source` with the
 * identifier that named it), under the floor's own workspace — so the floor pays the same item
 * size and index write a stored member does.
 */
export const floorMember = (kind: SetKind, memberId: string, source: ChangeSource): Record<string, unknown> => {
  const { identifier, ...shared } = source;
  const stored = { memberKind: kind === 'cohort' ? ('profile' as const) : ('visitor' as const), changedAt: '2026-12-04T00:00:00.000Z', source: shared };
  const write: MemberWrite = identifier ? [memberId, 'member', FLOOR_VERSION, null, identifier] : [memberId, 'member', FLOOR_VERSION];
  return memberItem({ workspaceId: 'floor', kind, setId: 'bench' }, stored, write);
};

/**
 * Waits until the hub's client has made no DynamoDB call for `quietMs` (at most `maxMs`: work that
 * never stops, a destination retrying, then shows in `dynamoCalls` by operation).
 */
export const untilQuiet = async (context: BenchContext, quietMs = 1000, maxMs = 60_000): Promise<void> => {
  const deadline = Date.now() + maxMs;
  for (let seen = context.counter.total(); Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = context.counter.total();
    if (now === seen) return;
    seen = now;
  }
};

/** The floor's item under keys of its own, so a later floor inserts as the first did rather than overwrite. */
const freshItem =
  (floorItem: (index: number) => Record<string, unknown>, prefix: string) =>
  (index: number): Record<string, unknown> => {
    const item = floorItem(index) as { pk: string; gsi1pk?: string };
    return { ...item, pk: `${prefix}${item.pk}`, ...(item.gsi1pk !== undefined ? { gsi1pk: `${prefix}${item.gsi1pk}` } : {}) };
  };

const ratio = (floorPerSecond: number, perSecond: number) => Math.round((floorPerSecond / perSecond) * 100) / 100;

/** Builds the scenario result: throughput, the floor measured right after, request counts against the ideal. */
export const summarise = async (
  context: BenchContext,
  options: {
    changes: number;
    seconds: number;
    unit: string;
    idealRequestsPerChange: number;
    floorTable: string;
    floorItem: (index: number) => Record<string, unknown>;
    /** The lookup the ideal counts, for the second floor (`lookupFloorPerSecond`). */
    floorLookup?: FloorLookup;
    /**
     * Every read the pipeline's rules need before it writes (cohort import: the claim, the profile
     * and the member's state), for the third floor (`readsFloorPerSecond`): what is left between it
     * and the pipeline is the pipeline's own protocol.
     */
    floorReads?: readonly FloorLookup[];
    extra?: Record<string, unknown>;
  },
): Promise<PipelineResult> => {
  const dynamoRequests = { ...context.counter.counts };
  const pipelineCpu = cpuBetween(context.counter.cpuAtReset(), sampleCpu());
  const total = Object.values(dynamoRequests).reduce((sum, n) => sum + n, 0);
  // Each floor's CPU is its writes' alone: the cleanup after it is not counted.
  const measureFloor = async (floorItem: (index: number) => Record<string, unknown>, lookups?: readonly FloorLookup[]) => {
    const started = sampleCpu();
    const result = await runFloor(context.doc, options.floorTable, options.changes, context.concurrency, floorItem, lookups);
    const cpu = cpuBetween(started, sampleCpu());
    await clearFloor(context, options.floorTable, options.changes, floorItem);
    return { ...result, cpu };
  };
  const floor = await measureFloor(options.floorItem);
  const lookupFloor = options.floorLookup ? await measureFloor(freshItem(options.floorItem, 'lookup'), [options.floorLookup]) : undefined;
  const readsFloor = options.floorReads ? await measureFloor(freshItem(options.floorItem, 'reads'), options.floorReads) : undefined;
  const perSecond = options.changes / options.seconds;
  const requestsPerChange = total / options.changes;
  return {
    changes: options.changes,
    seconds: Math.round(options.seconds * 100) / 100,
    perSecond: Math.round(perSecond),
    floorPerSecond: Math.round(floor.itemsPerSecond),
    floorSeconds: Math.round(floor.seconds * 100) / 100,
    ratioToFloor: ratio(floor.itemsPerSecond, perSecond),
    dynamoRequests,
    requestsPerChange: Math.round(requestsPerChange * 10_000) / 10_000,
    idealRequestsPerChange: options.idealRequestsPerChange,
    requestRatioToIdeal: Math.round((requestsPerChange / options.idealRequestsPerChange) * 100) / 100,
    unit: options.unit,
    ...(lookupFloor
      ? { lookupFloorPerSecond: Math.round(lookupFloor.itemsPerSecond), ratioToLookupFloor: ratio(lookupFloor.itemsPerSecond, perSecond) }
      : {}),
    ...(readsFloor
      ? { readsFloorPerSecond: Math.round(readsFloor.itemsPerSecond), readsFloorToFloor: ratio(floor.itemsPerSecond, readsFloor.itemsPerSecond), ratioToReadsFloor: ratio(readsFloor.itemsPerSecond, perSecond) }
      : {}),
    cpuSeconds: { pipeline: pipelineCpu, floor: floor.cpu },
    ...options.extra,
  };
};
