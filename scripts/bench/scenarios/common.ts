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

/** Writes items with BatchWriteItem, 25 a call, several calls in flight (setup, not measured). */
export const seed = async (context: BenchContext, table: string, items: Record<string, unknown>[]): Promise<void> => {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= items.length) return;
      next += 25;
      let pending = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await context.doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
};

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

/**
 * A member item exactly as the membership engine stores it (adapters/membership-shard.ts
 * `memberItem`: its member partition, the byMember index key, the change's `source` with the
 * identifier that named it), under the floor's own workspace — so the floor pays the same item
 * size and index write a stored member does.
 */
const FLOOR_VERSION = '000001763900000#bench-0000';

export const floorMember = (kind: SetKind, memberId: string, source: ChangeSource): Record<string, unknown> => {
  const { identifier, ...shared } = source;
  const pending = { token: 'floor', delta: 0, memberKind: kind === 'cohort' ? ('profile' as const) : ('visitor' as const), changedAt: '2026-12-04T00:00:00.000Z', source: shared, writes: [], legacy: [] };
  const write: MemberWrite = identifier ? [memberId, 'member', FLOOR_VERSION, null, identifier] : [memberId, 'member', FLOOR_VERSION];
  return memberItem({ workspaceId: 'floor', kind, setId: 'bench' }, pending, write);
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
  const floorStarted = sampleCpu();
  const floor = await runFloor(context.doc, options.floorTable, options.changes, context.concurrency, options.floorItem);
  const floorCpu = cpuBetween(floorStarted, sampleCpu());
  const lookupFloor = options.floorLookup ? await runFloor(context.doc, options.floorTable, options.changes, context.concurrency, freshItem(options.floorItem, 'lookup'), [options.floorLookup]) : undefined;
  const readsFloor = options.floorReads ? await runFloor(context.doc, options.floorTable, options.changes, context.concurrency, freshItem(options.floorItem, 'reads'), options.floorReads) : undefined;
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
    cpuSeconds: { pipeline: pipelineCpu, floor: floorCpu },
    ...options.extra,
  };
};
