import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { commit, hold, newRequestCounter, pendingWrite, stage, writeMembers } from '../../functions/adapters/membership-shard';
import { memberKey, memberShardOf, setPk, shardKey } from '../../functions/adapters/dynamo/keys';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { changeVersion, type SetRef } from '../../functions/domain/membership';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { storedCount } from '../support/set-count';
import { eventually, startTestHub, type TestHub } from './harness';

describe('version-guarded membership on DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  const store = () => dynamoMembershipStore(hub.doc, hub.tables.cohorts);
  const now = new Date().toISOString();
  const memberCount = (set: SetRef) => storedCount(hub.doc, hub.tables.cohorts, set);
  /** Every current member as the read adapter lists them, through its cursor in small pages. */
  const members = async (set: SetRef) => {
    const reads = dynamoSetReads(hub.doc, hub.tables.cohorts);
    const ids: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await reads.listMembers(set, 37, cursor);
      ids.push(...page.members.map((member) => member.memberId));
      cursor = page.nextKey;
    } while (cursor);
    return ids;
  };

  it('a late older removal never undoes a newer add, and a replay changes nothing', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'c1' };
    await store().apply(set, 'profile', [{ memberId: 'p1', op: 'add' }, { memberId: 'p2', op: 'add' }], changeVersion(2000, 'b'), now);

    const late = await store().apply(set, 'profile', [{ memberId: 'p1', op: 'remove' }], changeVersion(1000, 'a'), now);
    const replay = await store().apply(set, 'profile', [{ memberId: 'p1', op: 'add' }, { memberId: 'p2', op: 'add' }], changeVersion(2000, 'b'), now);

    expect(late).toEqual({ added: 0, removed: 0, unchanged: 0, stale: 1 });
    expect(replay.stale).toBe(2);
    expect((await members(set)).sort()).toEqual(['p1', 'p2']);
    expect(await memberCount(set)).toBe(2);
  });

  it('a removal leaves a tombstone so an older add arriving later cannot resurrect the member', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'c2' };
    await store().apply(set, 'profile', [{ memberId: 'p9', op: 'remove' }], changeVersion(5000, 'x'), now);

    const older = await store().apply(set, 'profile', [{ memberId: 'p9', op: 'add' }], changeVersion(4000, 'y'), now);

    expect(older.stale).toBe(1);
    expect(await members(set)).toEqual([]);
  });

  it('applies a change at its own version when it carries one (Segment events), and stores that version', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'c3' };
    await store().apply(set, 'profile', [{ memberId: 'p1', op: 'add', version: changeVersion(3000, 'seg#m1') }, { memberId: 'p2', op: 'add' }], changeVersion(1000, 'call'), now);

    // The call's version (9000) would beat both; each change's own (2000) decides: p1 (at 3000) stays, p2 (at the call's 1000) goes.
    const older = await store().apply(set, 'profile', [{ memberId: 'p1', op: 'remove', version: changeVersion(2000, 'seg#m0') }, { memberId: 'p2', op: 'remove', version: changeVersion(2000, 'seg#m0') }], changeVersion(9000, 'call'), now);
    const stored = await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: memberKey(set, 'p1') }));

    expect(older).toEqual({ added: 0, removed: 1, unchanged: 0, stale: 1 });
    expect(stored.Item?.version).toBe(changeVersion(3000, 'seg#m1'));
    expect(await members(set)).toEqual(['p1']);
    expect(await memberCount(set)).toBe(1);
  });

  it('keeps the member count exact when two workers apply overlapping changes at once', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'segment', setId: 's1' };
    const ids = Array.from({ length: 150 }, (_, index) => `v${index}`);
    const adds = ids.map((memberId) => ({ memberId, op: 'add' as const }));

    await Promise.all([
      store().apply(set, 'visitor', adds, changeVersion(1000, 'a'), now),
      store().apply(set, 'visitor', adds, changeVersion(1000, 'b'), now),
      store().apply(set, 'visitor', adds.slice(0, 50), changeVersion(1000, 'c'), now),
    ]);

    expect(await memberCount(set)).toBe(150);
    expect((await members(set)).length).toBe(150);
  });
});

describe('sharded counts and the member item shape on DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  const now = new Date().toISOString();
  const shards = async (set: SetRef) =>
    (await Promise.all(Array.from({ length: 64 }, (_, shard) => hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: shardKey(set, shard), ConsistentRead: true })))))
      .map((result) => result.Item)
      .filter((item) => item?.memberCount !== undefined);

  it('spreads one large change over the member partitions in parallel, its count exact, and never touches META', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'segment', setId: 'big' };
    const adds = Array.from({ length: 1000 }, (_, index) => ({ memberId: `v${index.toString().padStart(4, '0')}`, op: 'add' as const }));
    const writers = Array.from({ length: 3 }, () => dynamoMembershipStore(hub.doc, hub.tables.cohorts));

    const results = await Promise.all(writers.map((writer, index) => writer.apply(set, 'visitor', adds, changeVersion(1000, `w${index}`), now)));

    expect(results.reduce((sum, result) => sum + result.added, 0)).toBe(1000);
    expect((await shards(set)).length).toBe(64);
    expect((await shards(set)).every((item) => item?.pending === undefined)).toBe(true);
    expect(await storedCount(hub.doc, hub.tables.cohorts, set)).toBe(1000);
    expect((await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: { pk: setPk(set), sk: 'META' } }))).Item).toBeUndefined();
    const reads = dynamoSetReads(hub.doc, hub.tables.cohorts);
    const listed: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await reads.listMembers(set, 300, cursor);
      expect(page.members.length).toBeLessThanOrEqual(300);
      listed.push(...page.members.map((m) => m.memberId));
      cursor = page.nextKey;
    } while (cursor);
    // Partition by partition, each in member-id order: every member once.
    const expected = adds.map((a) => a.memberId).sort((a, b) => memberShardOf('segment', a) - memberShardOf('segment', b) || a.localeCompare(b));
    expect(listed).toEqual(expected);
    // 3 × 1,000 contended writes on DynamoDB Local: slow on a loaded 2-core CI machine; correctness, not time, is asserted.
  }, 180_000);

  /** `count` member ids that share one member partition. */
  const samePartition = (prefix: string, count: number, kind: 'cohort' | 'segment' = 'segment') => {
    const ids = Array.from({ length: 800 }, (_, index) => `${prefix}${index}`);
    const shard = memberShardOf(kind, ids[0] as string);
    return ids.filter((id) => memberShardOf(kind, id) === shard).slice(0, count);
  };

  it('finishes a write whose writer died after staging it: its member items once more, its count once', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'segment', setId: 'dead-writer' };
    const [x1, x2, x3] = samePartition('x', 3) as [string, string, string];
    const target = { db: hub.doc, table: hub.tables.cohorts, set, shard: memberShardOf('segment', x1), counter: newRequestCounter() };
    const version = changeVersion(1000, 'dead');
    // Held with a lease that has passed, its write staged, one of its two members put: the writer died there.
    const dead = { token: 'dead-writer', until: Date.now() - 1 };
    expect(await hold(target, dead, Date.now() - 10)).toMatchObject({ holder: dead });
    const pending = pendingWrite({ memberKind: 'visitor', now }, [[x1, 'member', version], [x2, 'member', version]], [], 2);
    expect(await stage(target, dead.token, pending, false)).toBe(true);
    await writeMembers(target, { ...pending, writes: pending.writes.slice(0, 1) });

    const next = await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(set, 'visitor', [{ memberId: x3, op: 'add' }, { memberId: x1, op: 'add' }], changeVersion(2000, 'next'), now);

    expect(next).toEqual({ added: 1, removed: 0, unchanged: 1, stale: 0 });
    expect(await storedCount(hub.doc, hub.tables.cohorts, set)).toBe(3);
    expect((await dynamoSetReads(hub.doc, hub.tables.cohorts).listMembers(set, 100)).members.map((m) => m.memberId).sort()).toEqual([x1, x2, x3].sort());
    const shard = await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: shardKey(set, target.shard), ConsistentRead: true }));
    expect(shard.Item).toMatchObject({ memberCount: 3 });
    expect(shard.Item).not.toHaveProperty('pending');
    expect(shard.Item).not.toHaveProperty('holder');
  });

  it('a writer whose partition is held by a live writer waits, then applies once the holder lets go', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'segment', setId: 'live-holder' };
    const [y1] = samePartition('y', 1) as [string];
    const target = { db: hub.doc, table: hub.tables.cohorts, set, shard: memberShardOf('segment', y1), counter: newRequestCounter() };
    const live = { token: 'live-writer', until: Date.now() + 60_000 };
    expect(await hold(target, live, Date.now())).toMatchObject({ holder: live });
    const store = dynamoMembershipStore(hub.doc, hub.tables.cohorts);

    const applying = store.apply(set, 'visitor', [{ memberId: y1, op: 'add' }], changeVersion(1000, 'w'), now);
    await eventually(() => Promise.resolve(store.counter.retries > 0 || undefined), 10_000, 'the writer met the holder');
    expect(await storedCount(hub.doc, hub.tables.cohorts, set)).toBe(0);
    expect(await commit(target, live.token, 0, now, false)).toBe(true);

    expect(await applying).toEqual({ added: 1, removed: 0, unchanged: 0, stale: 0 });
    expect(await storedCount(hub.doc, hub.tables.cohorts, set)).toBe(1);
  });

  it('a writer that fails after its member items landed releases its claim, and the retry counts them once', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'lost-answer' };
    const ids = samePartition('p', 5, 'cohort');
    let failed = false;
    // The BatchWriteItem lands, then its answer is lost.
    const flaky = {
      send: async (command: unknown) => {
        const result = await hub.doc.send(command as Parameters<typeof hub.doc.send>[0]);
        if (command instanceof BatchWriteCommand && !failed) {
          failed = true;
          throw new Error('socket hang up');
        }
        return result;
      },
    } as unknown as typeof hub.doc;
    const adds = ids.map((memberId) => ({ memberId, op: 'add' as const }));

    await expect(dynamoMembershipStore(flaky, hub.tables.cohorts).apply(set, 'profile', adds, changeVersion(1000, 'a'), now)).rejects.toThrow('socket hang up');
    const released = await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: shardKey(set, memberShardOf('cohort', ids[0] as string)), ConsistentRead: true }));
    expect(released.Item?.pending).toMatchObject({ delta: 5 });
    expect(released.Item?.holder).toMatchObject({ until: 0 });
    const retry = await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(set, 'profile', adds, changeVersion(1000, 'a'), now);

    expect(retry).toEqual({ added: 0, removed: 0, unchanged: 0, stale: 5 });
    expect(await storedCount(hub.doc, hub.tables.cohorts, set)).toBe(5);
  });

  it('writes member items with plain attributes (for change-stream consumers) and only the byMember index key', async () => {
    const SOURCE = { kind: 'cohort_import' as const, importId: 'import1', partner: 'heap' };
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'shape' };
    await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(set, 'profile', [{ memberId: 'p1', op: 'add' }, { memberId: 'p2', op: 'remove' }], changeVersion(7000, 'import1#a'), now, SOURCE);
    const item = async (memberId: string) => (await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: memberKey(set, memberId) }))).Item;

    expect(await item('p1')).toEqual({
      ...memberKey(set, 'p1'),
      workspaceId: 'ws1',
      setKind: 'cohort',
      setId: 'shape',
      memberKind: 'profile',
      memberId: 'p1',
      status: 'member',
      version: changeVersion(7000, 'import1#a'),
      source: SOURCE,
      changedAt: now,
      gsi1pk: 'ws1#P#p1',
      gsi1sk: 'C#shape',
    });
    expect(await item('p2')).toMatchObject({ status: 'removed', source: SOURCE });
    expect(await item('p2')).not.toHaveProperty('gsi1pk');
  });

  it('reads the layouts from before member partitions: META memberCount, members in the set partition with a bySet key, an old cursor; moves members it changes', async () => {
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'legacy' };
    const pk = setPk(set);
    const legacyMember = (memberId: string) => ({ pk, sk: `M#${memberId}`, memberId, status: 'member', version: changeVersion(100, 'old'), changedAt: now, gsi2pk: pk, gsi2sk: memberId });
    await hub.doc.send(new PutCommand({ TableName: hub.tables.cohorts, Item: { pk, sk: 'META', workspaceId: 'ws1', setKind: 'cohort', setId: 'legacy', memberCount: 2, gsi1pk: 'ws1#SETS#C', gsi1sk: 'legacy' } }));
    for (const id of ['a', 'b']) await hub.doc.send(new PutCommand({ TableName: hub.tables.cohorts, Item: legacyMember(id) }));

    await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(set, 'profile', [{ memberId: 'a', op: 'remove' }, { memberId: 'c', op: 'add' }, { memberId: 'd', op: 'add' }], changeVersion(200, 'new'), now);
    const reads = dynamoSetReads(hub.doc, hub.tables.cohorts);

    expect((await reads.getSet(set))?.memberCount).toBe(3);
    expect((await reads.listSets('ws1', 'cohort', 10)).sets.find((meta) => meta.setId === 'legacy')?.memberCount).toBe(3);
    const inPartitions = ['c', 'd'].sort((x, y) => memberShardOf('cohort', x) - memberShardOf('cohort', y));
    const oldCursor = { gsi2pk: pk, gsi2sk: 'b', pk, sk: 'M#b' };
    expect((await reads.listMembers(set, 10, oldCursor)).members.map((m) => m.memberId)).toEqual(inPartitions);
    // The old partition first (b, not yet moved), then the member partitions; a, removed, moved out.
    expect((await reads.listMembers(set, 10)).members.map((m) => m.memberId)).toEqual(['b', ...inPartitions]);
    expect((await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: { pk, sk: 'M#a' } }))).Item).toBeUndefined();
    expect((await hub.doc.send(new GetCommand({ TableName: hub.tables.cohorts, Key: memberKey(set, 'a') }))).Item).toMatchObject({ status: 'removed', movedFrom: 'member' });
    // A later change of b reads its old place: no second add, and b moves.
    const again = await dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply(set, 'profile', [{ memberId: 'b', op: 'add' }], changeVersion(300, 'newer'), now);
    expect(again).toEqual({ added: 0, removed: 0, unchanged: 1, stale: 0 });
    expect((await reads.getSet(set))?.memberCount).toBe(3);
    expect((await reads.listMembers(set, 10)).members.map((m) => m.memberId).sort()).toEqual(['b', 'c', 'd']);
  });
});

describe('set and member reads on DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());

  it('keeps the first creation time on re-upsert, follows renames, and lists sets and members', async () => {
    const doc = hub.doc;
    const { dynamoSetReads } = await import('../../functions/adapters/set-reads');
    const { dynamoSetWriter } = await import('../../functions/adapters/set-writer');
    const reads = dynamoSetReads(doc, hub.tables.cohorts);
    const sets = dynamoSetWriter(doc, hub.tables.cohorts);
    const writes = dynamoMembershipStore(doc, hub.tables.cohorts);
    const set: SetRef = { workspaceId: 'ws1', kind: 'cohort', setId: 'amperity-High Value' };
    await sets.upsertSet(set, { name: 'High Value', createdAt: '2021-01-21T14:20:30.000Z', now: '2026-01-01T00:00:00.000Z' });
    await sets.upsertSet(set, { name: 'Very High Value', createdAt: '2022-01-01T00:00:00.000Z', now: '2026-01-02T00:00:00.000Z' });
    await writes.apply(set, 'profile', [{ memberId: 'p1', op: 'add' }, { memberId: 'p2', op: 'add' }, { memberId: 'p3', op: 'remove' }], changeVersion(1, 'x'), 'now');

    const meta = await reads.getSet(set);
    const listed = await reads.listSets('ws1', 'cohort', 10);
    const page = await reads.listMembers(set, 10);
    const ofMember = await reads.setsOfMember('ws1', 'profile', 'p1', 'cohort');
    const otherWorkspace = await reads.listSets('ws2', 'cohort', 10);

    expect(meta).toMatchObject({ name: 'Very High Value', createdAt: '2021-01-21T14:20:30.000Z', memberCount: 2 });
    expect(listed.sets.map((s) => s.setId)).toEqual(['amperity-High Value']);
    expect(page.members.map((m) => m.memberId).sort()).toEqual(['p1', 'p2']);
    expect(ofMember.map((s) => s.setId)).toEqual(['amperity-High Value']);
    expect(otherWorkspace.sets).toEqual([]);
  });
});
