import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoHeapSegmentStore } from '../../functions/adapters/heap-segment-store';
import { batchGetAll } from '../../functions/adapters/dynamo/batch-get';
import { MEMBER_SHARDS, setPk, shardKey } from '../../functions/adapters/dynamo/keys';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { changeVersion, type SetRef } from '../../functions/domain/membership';
import { startTestHub, type TestHub } from './harness';

describe('Heap segment bookkeeping on DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  const store = () => dynamoHeapSegmentStore(hub.doc, hub.tables.cohorts);
  const page = (name: string, receivedAtMs: number, pageNumber: number, syncTaskId = 'run-1', totalPages = 3, part = 0, parts = 1) => ({
    name,
    part,
    parts,
    version: changeVersion(receivedAtMs, `${syncTaskId}#${pageNumber.toString().padStart(6, '0')}`),
    receivedAt: new Date(receivedAtMs).toISOString(),
    syncTaskId,
    pageNumber,
    totalPages,
    now: new Date().toISOString(),
  });

  it('keeps the newest name when an older page is recorded late, and still counts its page', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'segment', setId: '10' };
    await store().recordSyncPage(set, page('New name', 3000, 3));
    await store().recordSyncPage(set, page('Old name', 1000, 1));
    await store().recordSyncPage(set, page('Old name', 1000, 1)); // replay

    const meta = await dynamoSetReads(hub.doc, hub.tables.cohorts).getSet(set);
    const run = await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: { pk: setPk(set), sk: 'SYNC#run-1' } }));

    expect(meta?.name).toBe('New name');
    expect(meta?.lastSync).toEqual({ syncTaskId: 'run-1', at: new Date(3000).toISOString(), pagesSeen: 2, totalPages: 3 });
    expect([...(run.Item?.partsApplied as Set<string>)].sort()).toEqual(['1:0/1', '3:0/1']);
  });

  it('counts a page split into several queue messages as seen only once all its parts are applied', async () => {
    const set: SetRef = { workspaceId: 'ws4', kind: 'segment', setId: '40' };
    const lastSync = async () => (await dynamoSetReads(hub.doc, hub.tables.cohorts).getSet(set))?.lastSync as { pagesSeen: number };

    await store().recordSyncPage(set, page('Split', 1000, 1, 'run-4', 2, 0, 2));
    const afterFirstPart = (await lastSync()).pagesSeen;
    await store().recordSyncPage(set, page('Split', 1000, 1, 'run-4', 2, 1, 2));

    expect(afterFirstPart).toBe(0);
    expect((await lastSync()).pagesSeen).toBe(1);
  });

  it('lists a recorded segment and keeps its member count from the membership engine', async () => {
    const set: SetRef = { workspaceId: 'ws2', kind: 'segment', setId: '20' };
    await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(set, 'visitor', [{ memberId: 'a', op: 'add' }], changeVersion(1000, 'x'), 'now');
    await store().recordSyncPage(set, page('Listed', 1000, 1, 'run-2', 1));

    const listed = await dynamoSetReads(hub.doc, hub.tables.cohorts).listSets('ws2', 'segment', 10);

    expect(listed.sets).toEqual([expect.objectContaining({ setId: '20', name: 'Listed', memberCount: 1 })]);
  });

  it('reads current members from the base table without tombstones, and keeps the newest drain version', async () => {
    const set: SetRef = { workspaceId: 'ws3', kind: 'segment', setId: '30' };
    const writes = dynamoMembershipStore(hub.doc, hub.tables.cohorts);
    await writes.apply(set, 'visitor', ['a', 'b', 'c'].map((memberId) => ({ memberId, op: 'add' as const })), changeVersion(1000, 'x'), 'now');
    await writes.apply(set, 'visitor', [{ memberId: 'b', op: 'remove' }], changeVersion(2000, 'x'), 'now');
    await store().recordDrain(set, { version: changeVersion(5000, 'drain'), receivedAt: 'r', now: 'n' });
    await store().recordDrain(set, { version: changeVersion(4000, 'drain'), receivedAt: 'r', now: 'n' });

    const current = await store().currentMembers(set, 100);

    expect(current.memberIds.sort()).toEqual(['a', 'c']);
    expect((await dynamoSetReads(hub.doc, hub.tables.cohorts).getSet(set))?.drainVersion).toBe(changeVersion(5000, 'drain'));
  });

  it('a drain that fails on one partition returns only after every other partition is let go', async () => {
    const set: SetRef = { workspaceId: 'ws5', kind: 'segment', setId: '50' };
    const failing = shardKey(set, 5).pk;
    // Partition 5's hold fails at once; the other 63 holds are still on their way to DynamoDB then.
    const db = {
      send: (command: unknown) =>
        command instanceof UpdateCommand && command.input.Key?.pk === failing ? Promise.reject(new Error('partition 5 unavailable')) : hub.doc.send(command as UpdateCommand),
    } as unknown as DynamoDBDocumentClient;

    await expect(dynamoHeapSegmentStore(db, hub.tables.cohorts).recordDrain(set, { version: changeVersion(5000, 'drain'), receivedAt: 'r', now: 'n' })).rejects.toThrow('partition 5 unavailable');

    // Read at once: in Lambda, nothing runs after the handler returns, so a hold still on its way would stay until its lease.
    const shards = await batchGetAll(hub.doc, hub.tables.cohorts, Array.from({ length: MEMBER_SHARDS.segment }, (_, shard) => shardKey(set, shard)), { consistency: 'strong' });
    expect(shards).toHaveLength(MEMBER_SHARDS.segment - 1);
    expect(shards.filter((shard) => shard.holder !== undefined)).toEqual([]);
    expect(new Set(shards.map((shard) => shard.drainVersion))).toEqual(new Set([changeVersion(5000, 'drain')]));
  });
});
