import { applyUserFacts, deleteProfile, mergeProfiles, type DirectoryDeps, type UserFacts } from '../../functions/domain/directory';
import type { SetRef } from '../../functions/domain/membership';
import { FakeDirectory } from './fakes/directory';
import { FakeMembership } from './fakes/membership';

const WS = 'ws1';
const NOW = '2026-01-01T00:00:00.000Z';
const V = '000001000000000#test';

const facts = (brazeId: string, options: { ext?: string; extTime?: number; devices?: string[] } = {}): UserFacts => ({
  brazeId,
  deviceIds: new Set(options.devices ?? []),
  ...(options.ext !== undefined ? { externalId: { value: options.ext, time: options.extTime ?? 1000, eventId: `e-${brazeId}` } } : {}),
});

describe('directory rules', () => {
  let directory: FakeDirectory;
  let membership: FakeMembership;
  let deps: DirectoryDeps;
  const apply = async (f: UserFacts) => applyUserFacts(deps, WS, f, directory.profile(WS, f.brazeId), V, NOW);

  beforeEach(() => {
    directory = new FakeDirectory();
    membership = new FakeMembership();
    deps = { directory, membership };
  });

  it('creates an anonymous profile that claims its device id', async () => {
    const outcome = await apply(facts('anon', { devices: ['d1'] }));

    expect(outcome).toBe('created');
    expect(directory.profile(WS, 'anon')?.deviceIds).toEqual(['d1']);
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'd1' })).toMatchObject({ profileId: 'anon', ownerIdentified: false });
  });

  it('marks the old device claims ownerIdentified when an anonymous profile gains a new external_id', async () => {
    await apply(facts('anon', { devices: ['d1'] }));

    const outcome = await apply(facts('anon', { ext: 'customer-1', extTime: 5000, devices: ['d2'] }));

    expect(outcome).toBe('updated');
    expect(directory.profile(WS, 'anon')).toMatchObject({ externalId: 'customer-1', identityVersion: 5000 });
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'd1' })?.ownerIdentified).toBe(true);
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'd2' })?.ownerIdentified).toBe(true);
  });

  it('ignores a late event whose external_id is older than the identity facts already applied', async () => {
    await apply(facts('u1', { ext: 'new-id', extTime: 9000 }));

    const outcome = await apply(facts('u1', { ext: 'old-id', extTime: 4000 }));

    expect(outcome).toBe('late');
    expect(directory.profile(WS, 'u1')?.externalId).toBe('new-id');
    expect(directory.claimOf(WS, { kind: 'external_id', value: 'old-id' })).toBeUndefined();
  });

  it('treats a newer different external_id as a rename, and one older than a recorded confirmation as late', async () => {
    const hour = 3_600_000;
    await apply(facts('u1', { ext: 'first', extTime: 1000 }));
    await apply(facts('u1', { ext: 'first', extTime: 1000 + 3 * hour }));

    const late = await apply(facts('u1', { ext: 'second', extTime: 1000 + 2 * hour }));
    const renamed = await apply(facts('u1', { ext: 'second', extTime: 1000 + 4 * hour }));

    expect(late).toBe('late');
    expect(renamed).toBe('updated');
    expect(directory.profile(WS, 'u1')?.externalId).toBe('second');
    expect(directory.claimOf(WS, { kind: 'external_id', value: 'first' })).toBeUndefined();
  });

  it('records a confirmation of the same external_id at most once an hour', async () => {
    await apply(facts('u1', { ext: 'c', extTime: 1000 }));
    const before = directory.calls;

    await apply(facts('u1', { ext: 'c', extTime: 1000 + 60_000 }));

    expect(directory.calls).toBe(before);
    expect(directory.profile(WS, 'u1')?.identityVersion).toBe(1000);
  });

  it('merges an anonymous profile into the holder of its external_id (orphan rule), moving claims and cohorts', async () => {
    const cohort: SetRef = { workspaceId: WS, kind: 'cohort', setId: 'c1' };
    await apply(facts('known', { ext: 'customer-9', extTime: 1000 }));
    await apply(facts('anon', { devices: ['phone'] }));
    membership.add(cohort, 'anon');

    const outcome = await apply(facts('anon', { ext: 'customer-9', extTime: 2000 }));

    expect(outcome).toBe('merged');
    expect(directory.profile(WS, 'anon')?.mergedInto).toBe('known');
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'phone' })).toMatchObject({ profileId: 'known', ownerIdentified: true });
    expect(membership.isMember(cohort, 'anon')).toBe(false);
    expect(membership.isMember(cohort, 'known')).toBe(true);
  });

  it("moves an orphan's alias only when the survivor has no alias of that label", async () => {
    await directory.createProfile(WS, 'orphan', NOW);
    await directory.createProfile(WS, 'survivor', NOW);
    await directory.claim(WS, 'orphan', { kind: 'alias', label: 'email', name: 'a@x.io' }, NOW);
    await directory.claim(WS, 'orphan', { kind: 'alias', label: 'crm', name: 'crm-1' }, NOW);
    await directory.claim(WS, 'survivor', { kind: 'alias', label: 'email', name: 'b@x.io' }, NOW);

    const result = await mergeProfiles(deps, WS, 'orphan', 'survivor', V, NOW);

    expect(result).toMatchObject({ survivor: 'survivor', moved: 1, dropped: 1 });
    expect(directory.profile(WS, 'survivor')?.aliases).toEqual({ email: 'b@x.io', crm: 'crm-1' });
    expect(directory.claimOf(WS, { kind: 'alias', label: 'email', name: 'a@x.io' })).toBeUndefined();
    expect(directory.claimOf(WS, { kind: 'alias', label: 'crm', name: 'crm-1' })?.profileId).toBe('survivor');
  });

  it("identifies an anonymous survivor that receives the orphan's external_id, so its device ids stop matching", async () => {
    await apply(facts('survivor', { devices: ['s-phone'] }));
    await apply(facts('orphan', { ext: 'customer-5' }));

    await mergeProfiles(deps, WS, 'orphan', 'survivor', V, NOW);

    expect(directory.profile(WS, 'survivor')?.externalId).toBe('customer-5');
    expect(directory.claimOf(WS, { kind: 'external_id', value: 'customer-5' })?.profileId).toBe('survivor');
    expect(directory.claimOf(WS, { kind: 'device_id', value: 's-phone' })?.ownerIdentified).toBe(true);
  });

  it('routes device ids of a late event for a merged profile to the survivor', async () => {
    await apply(facts('known', { ext: 'customer-2', extTime: 1000 }));
    await mergeProfiles(deps, WS, 'anon', 'known', V, NOW);

    const outcome = await apply(facts('anon', { devices: ['late-device'] }));

    expect(outcome).toBe('followed-merge');
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'late-device' })).toMatchObject({ profileId: 'known', ownerIdentified: true });
  });

  it('deletes a profile: memberships removed, claims released, tombstone left', async () => {
    const cohort: SetRef = { workspaceId: WS, kind: 'cohort', setId: 'c1' };
    await apply(facts('gone', { ext: 'customer-3', devices: ['d9'] }));
    membership.add(cohort, 'gone');

    await deleteProfile(deps, WS, 'gone', 7000, V, NOW);

    expect(membership.isMember(cohort, 'gone')).toBe(false);
    expect(directory.claimOf(WS, { kind: 'external_id', value: 'customer-3' })).toBeUndefined();
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'd9' })).toBeUndefined();
    expect(directory.profile(WS, 'gone')).toMatchObject({ deletedAt: NOW, deviceIds: [], aliases: {} });
    expect(directory.profile(WS, 'gone')?.externalId).toBeUndefined();
  });

  it('does not resurrect a deleted profile from a late event', async () => {
    await apply(facts('gone', { ext: 'customer-4' }));
    await deleteProfile(deps, WS, 'gone', 7000, V, NOW);

    const outcome = await apply(facts('gone', { ext: 'customer-4', extTime: 6000, devices: ['d1'] }));

    expect(outcome).toBe('deleted');
    expect(directory.claimOf(WS, { kind: 'external_id', value: 'customer-4' })).toBeUndefined();
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'd1' })).toBeUndefined();
  });

  it('leaves a device id with the profile that claimed it first', async () => {
    await apply(facts('first', { devices: ['shared'] }));

    await apply(facts('second', { devices: ['shared'] }));

    expect(directory.claimOf(WS, { kind: 'device_id', value: 'shared' })?.profileId).toBe('first');
  });
});
