import { directoryStore } from '../../functions/adapters/directory';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { applyUserFacts, deleteProfile, mergeProfiles, type DirectoryDeps, type UserFacts } from '../../functions/domain/directory';
import { changeVersion } from '../../functions/domain/membership';
import { startTestHub, type TestHub } from './harness';

const NOW = new Date().toISOString();
const HOUR = 3_600_000;
let wsCounter = 0;

describe('directory rules on DynamoDB Local (adapter conditions)', () => {
  let hub: TestHub;
  let deps: DirectoryDeps;
  let ws: string;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
    const reads = dynamoSetReads(hub.doc, hub.tables.cohorts);
    deps = {
      directory: directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases }),
      membership: { apply: dynamoMembershipStore(hub.doc, hub.tables.cohorts).apply, setsOfMember: (...args) => reads.setsOfMember(...args) },
    };
  });
  beforeEach(() => {
    ws = `wsrules${(wsCounter += 1)}`;
  });
  afterAll(() => hub.stop());

  const store = () => directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
  const facts = (brazeId: string, options: { ext?: string; time?: number; devices?: string[] } = {}): UserFacts => ({
    brazeId,
    deviceIds: new Set(options.devices ?? []),
    ...(options.ext !== undefined ? { externalId: { value: options.ext, time: options.time ?? HOUR, eventId: 'e' } } : {}),
  });
  const apply = async (f: UserFacts) => applyUserFacts(deps, ws, f, await store().getProfile(ws, f.brazeId), changeVersion(Date.now(), 'test'), NOW);
  const claim = async (key: string) => (await store().resolveClaims(ws, [key])).get(key);

  it('creates a new profile with its identifiers in one step and identifies an anonymous one later', async () => {
    expect(await apply(facts('anon', { devices: ['d1'] }))).toBe('created');
    expect(await claim('dev#d1')).toMatchObject({ profileId: 'anon', ownerIdentified: false });

    expect(await apply(facts('anon', { ext: 'c1', devices: ['d2'] }))).toBe('updated');

    expect(await store().getProfile(ws, 'anon')).toMatchObject({ externalId: 'c1', deviceIds: ['d1', 'd2'] });
    expect(await claim('dev#d1')).toMatchObject({ ownerIdentified: true });
    expect(await claim('dev#d2')).toMatchObject({ ownerIdentified: true });
  });

  it('renames on a newer external_id and ignores an older one', async () => {
    await apply(facts('u', { ext: 'old', time: 10 * HOUR }));

    expect(await apply(facts('u', { ext: 'late', time: 5 * HOUR }))).toBe('late');
    expect(await apply(facts('u', { ext: 'new', time: 20 * HOUR }))).toBe('updated');

    expect((await store().getProfile(ws, 'u'))?.externalId).toBe('new');
    expect(await claim('ext#old')).toBeUndefined();
    expect(await claim('ext#late')).toBeUndefined();
    expect(await claim('ext#new')).toMatchObject({ profileId: 'u' });
  });

  it('merges with the alias label rule and moves cohort memberships', async () => {
    const cohort = { workspaceId: ws, kind: 'cohort' as const, setId: 'c' };
    await apply(facts('survivor', { ext: 'cs' }));
    await apply(facts('orphan', { devices: ['od'] }));
    await store().claim(ws, 'orphan', { kind: 'alias', label: 'email', name: 'o@x' }, NOW);
    await store().claim(ws, 'orphan', { kind: 'alias', label: 'crm', name: 'o-crm' }, NOW);
    await store().claim(ws, 'survivor', { kind: 'alias', label: 'email', name: 's@x' }, NOW);
    await deps.membership.apply(cohort, 'profile', [{ memberId: 'orphan', op: 'add' }], changeVersion(Date.now() - 1000, 'import'), NOW);

    const result = await mergeProfiles(deps, ws, 'orphan', 'survivor', changeVersion(Date.now(), 'merge'), NOW);

    expect(result).toMatchObject({ survivor: 'survivor', moved: 2, dropped: 1, cohortsMoved: 1 });
    expect((await store().getProfile(ws, 'survivor'))?.aliases).toEqual({ email: 's@x', crm: 'o-crm' });
    expect(await claim('alias#email#o@x')).toBeUndefined();
    expect(await claim('dev#od')).toMatchObject({ profileId: 'survivor', ownerIdentified: true });
    expect((await deps.membership.setsOfMember(ws, 'profile', 'survivor', 'cohort')).map((set) => set.setId)).toEqual(['c']);
    expect(await deps.membership.setsOfMember(ws, 'profile', 'orphan', 'cohort')).toEqual([]);
    expect(await store().claim(ws, 'orphan', { kind: 'device_id', value: 'new' }, NOW)).toBe('no-profile');
  });

  it('merges an alias labelled __proto__ by the label rule, though reads cannot show that label (fuzz seed 1714635948)', async () => {
    // The SDK's unmarshalling assigns map keys one by one, so a "__proto__" key with a string value
    // is dropped from every profile read: only DynamoDB's condition knows the survivor holds it.
    await apply(facts('survivor', { ext: 'sp' }));
    await apply(facts('orphan', { devices: ['pd'] }));
    expect(await store().claim(ws, 'survivor', { kind: 'alias', label: '__proto__', name: 'mine' }, NOW)).toBe('claimed');
    expect(await store().claim(ws, 'orphan', { kind: 'alias', label: '__proto__', name: 'theirs' }, NOW)).toBe('claimed');
    expect(await store().claim(ws, 'survivor', { kind: 'alias', label: '__proto__', name: 'other' }, NOW)).toBe('label-taken');

    const result = await mergeProfiles(deps, ws, 'orphan', 'survivor', changeVersion(Date.now(), 'merge'), NOW);

    expect(result).toMatchObject({ survivor: 'survivor', moved: 1, dropped: 1 });
    expect(await claim('alias#__proto__#mine')).toMatchObject({ profileId: 'survivor' });
    expect(await claim('alias#__proto__#theirs')).toBeUndefined();
    expect(({} as Record<string, unknown>).mine).toBeUndefined();
  });

  it('deletes: tombstone, claims released, memberships removed, late facts ignored', async () => {
    const cohort = { workspaceId: ws, kind: 'cohort' as const, setId: 'c' };
    await apply(facts('gone', { ext: 'cg', devices: ['gd'] }));
    await deps.membership.apply(cohort, 'profile', [{ memberId: 'gone', op: 'add' }], changeVersion(Date.now() - 1000, 'import'), NOW);

    await deleteProfile(deps, ws, 'gone', 50 * HOUR, changeVersion(Date.now(), 'delete'), NOW);

    expect(await store().getProfile(ws, 'gone')).toMatchObject({ deletedAt: NOW, aliases: {}, deviceIds: [] });
    expect(await claim('ext#cg')).toBeUndefined();
    expect(await claim('dev#gd')).toBeUndefined();
    expect(await deps.membership.setsOfMember(ws, 'profile', 'gone', 'cohort')).toEqual([]);
    expect(await apply(facts('gone', { ext: 'cg', devices: ['gd'] }))).toBe('deleted');
    expect(await claim('ext#cg')).toBeUndefined();
  });
});
