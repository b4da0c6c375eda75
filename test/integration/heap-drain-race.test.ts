/**
 * Regression for the fault suite's counterexample (seed 1796284610120: `expected [] … stored ["v5"]`):
 * a sync page received BEFORE a drain, delivered after it, must not add a visitor that had no item
 * when the drain ran. Each case fixes the interleaving by hooking the page worker's own DynamoDB
 * client at its claim of a member partition — no timing, no randomness — and runs the real domain
 * (`applyHeapMessage`) on the real stores against DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoHeapSegmentStore } from '../../functions/adapters/heap-segment-store';
import { memberPartitionsOf } from '../../functions/adapters/member-partitions';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { applyHeapMessage, type HeapWorkerDeps } from '../../functions/domain/heap-segments';
import { changeVersion, type SetRef } from '../../functions/domain/membership';
import type { HeapSyncMessage } from '../../functions/schemas/heap';
import { heapSyncMessage } from '../support/heap-sync-message';
import { storedCount } from '../support/set-count';
import { endpoints, startTestHub, type TestHub } from './harness';

class InjectedCrash extends Error {}

describe('a drain wins over every change received before it', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  const pageVersion = changeVersion(1000, 'task-1#000000');
  const drainVersion = changeVersion(2000, 'drain');
  const message = (segmentId: string, fields: Partial<HeapSyncMessage>): HeapSyncMessage =>
    heapSyncMessage({ dedupeKey: `heap#ws#${segmentId}`, workspaceId: 'ws-race', segmentId, version: pageVersion, receivedAt: new Date(1000).toISOString(), syncTaskId: 'task-1', pageNumber: 0, ...fields });

  const page = (segmentId: string, add: string[], version = pageVersion) => message(segmentId, { add, version });
  const drain = (segmentId: string) => message(segmentId, { type: 'drain', version: drainVersion, dedupeKey: `heap#ws#drain#${segmentId}` });

  const depsOn = (doc: DynamoDBDocumentClient): HeapWorkerDeps => ({
    membership: dynamoMembershipStore(doc, hub.tables.cohorts),
    segments: dynamoHeapSegmentStore(doc, hub.tables.cohorts),
    requeue: () => Promise.reject(new Error('no continuation expected')),
    deliveries: { request: () => Promise.resolve() },
    clock: { now: () => 3000 },
  });

  /**
   * A client for the page's worker: when it first takes a member partition it first runs `before`
   * to completion (the drain, on another client), then sends the take; with `crashAfterWrite`
   * the invocation dies once the write has landed (the worker never learns it succeeded).
   */
  /**
   * A writer taking a member partition (adapters/membership-shard.ts `hold`): everything it decides
   * is read after this, and nothing (a drain included) changes the partition until it lets go.
   */
  const isClaim = (input: unknown) => {
    const expression = (input as { UpdateExpression?: unknown }).UpdateExpression;
    return typeof expression === 'string' && expression.includes('#holder = :holder');
  };

  const hookedClient = (before: () => Promise<unknown>, crashAfterWrite: boolean) => {
    const client = new DynamoDBClient({ endpoint: endpoints().dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const doc = DynamoDBDocumentClient.from(client);
    let fired = false;
    doc.middlewareStack.add(
      (next) => async (args) => {
        if (fired || !isClaim(args.input)) return next(args);
        fired = true;
        await before();
        const result = await next(args);
        if (crashAfterWrite) throw new InjectedCrash('crash after the write landed');
        return result;
      },
      { step: 'initialize', name: 'drainRaceHook' },
    );
    return doc;
  };

  const stored = async (set: SetRef) => {
    const members: string[] = [];
    for (const pk of memberPartitionsOf(set)) {
      const items = await hub.doc.send(new QueryCommand({ TableName: hub.tables.cohorts, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)', ExpressionAttributeValues: { ':pk': pk, ':m': 'M#' }, ConsistentRead: true }));
      members.push(...(items.Items ?? []).filter((item) => item.status === 'member').map((item) => item.memberId as string));
    }
    return { members, count: await storedCount(hub.doc, hub.tables.cohorts, set) };
  };

  /** Delivers the page until it succeeds once (SQS redelivers a crashed record). */
  const deliverUntilDone = async (deps: HeapWorkerDeps, body: HeapSyncMessage) => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        return await applyHeapMessage(deps, body);
      } catch (error) {
        if (!(error instanceof InjectedCrash)) throw error;
      }
    }
    throw new Error('page never succeeded');
  };

  it('the counterexample: the drain runs after the page was received, before it takes its partition; the page crashes after taking it, then is redelivered', async () => {
    const set: SetRef = { workspaceId: 'ws-race', kind: 'segment', setId: 'seg-crash' };
    const doc = hookedClient(() => applyHeapMessage(depsOn(hub.doc), drain(set.setId)), true);

    await deliverUntilDone(depsOn(doc), page(set.setId, ['v5']));

    expect(await stored(set)).toEqual({ members: [], count: 0 });
  });

  it('the same interleaving without a crash', async () => {
    const set: SetRef = { workspaceId: 'ws-race', kind: 'segment', setId: 'seg-nocrash' };
    const doc = hookedClient(() => applyHeapMessage(depsOn(hub.doc), drain(set.setId)), false);

    await deliverUntilDone(depsOn(doc), page(set.setId, ['v5', 'v6']));

    expect(await stored(set)).toEqual({ members: [], count: 0 });
  });

  it('a page delivered whole after the drain (reordered) adds nothing; a page received after the drain still adds', async () => {
    const set: SetRef = { workspaceId: 'ws-race', kind: 'segment', setId: 'seg-late' };
    await applyHeapMessage(depsOn(hub.doc), drain(set.setId));

    const late = await applyHeapMessage(depsOn(hub.doc), page(set.setId, ['v5']));
    await applyHeapMessage(depsOn(hub.doc), page(set.setId, ['v7'], changeVersion(2500, 'task-2#000000')));

    expect(late).toMatchObject({ added: 0, stale: 1 });
    expect(await stored(set)).toEqual({ members: ['v7'], count: 1 });
  });

  it('a member added before the drain and re-added by a newer page while the drain runs stays, counted once', async () => {
    const set: SetRef = { workspaceId: 'ws-race', kind: 'segment', setId: 'seg-readd' };
    await applyHeapMessage(depsOn(hub.doc), page(set.setId, ['v1', 'v2']));
    // The newer page's write lands between the drain's floor and its removals.
    const doc = hookedClient(() => applyHeapMessage(depsOn(hub.doc), page(set.setId, ['v1'], changeVersion(2500, 'task-2#000000'))), false);

    await applyHeapMessage(depsOn(doc), drain(set.setId));

    expect(await stored(set)).toEqual({ members: ['v1'], count: 1 });
  });
});
