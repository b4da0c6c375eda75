import type { NewIdentity } from '../../functions/domain/ports';
import { directoryHub } from './harness';

describe('batched directory writes on DynamoDB Local', () => {
  const now = new Date().toISOString();
  const { store } = directoryHub();

  it('creates many new profiles with their claims, and settles the ones a transaction refused', async () => {
    // 40 users of 3 actions each: more than one transaction of 100 actions.
    const identities = new Map<string, NewIdentity>(
      Array.from({ length: 40 }, (_, i) => [`b-${i}`, { externalId: `c-${i}`, deviceIds: [`d-${i}`], identityVersion: 1000 + i }]),
    );
    expect(await store().createProfileWithIdentifiers('wsBatch', 'b-7', identities.get('b-7') as NewIdentity, now)).toBe('created');
    expect(await store().createProfileWithIdentifiers('wsBatch', 'other', { deviceIds: ['d-30'], identityVersion: 0 }, now)).toBe('created');

    const outcomes = await store().createProfilesWithIdentifiers('wsBatch', identities, now);

    expect(outcomes.get('b-7')).toEqual({ exists: await store().getProfile('wsBatch', 'b-7') });
    expect(outcomes.get('b-30')).toBe('conflict');
    expect([...outcomes].filter(([, outcome]) => outcome === 'created')).toHaveLength(38);
    expect(await store().getProfile('wsBatch', 'b-30')).toBeUndefined();
    expect((await store().resolveClaims('wsBatch', ['ext#c-30', 'dev#d-30'])).get('dev#d-30')?.profileId).toBe('other');
    expect((await store().resolveClaims('wsBatch', ['ext#c-30'])).size).toBe(0);
    expect(await store().getProfile('wsBatch', 'b-39')).toMatchObject({ externalId: 'c-39', deviceIds: ['d-39'], identityVersion: 1039 });
    const claims = await store().resolveClaims('wsBatch', ['ext#c-0', 'dev#d-0', 'ext#c-39', 'dev#d-39']);
    expect([...claims.values()].map((claim) => claim.profileId)).toEqual(['b-0', 'b-0', 'b-39', 'b-39']);
  });

  it('confirms many identity versions: never backwards, never on a deleted profile', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `v-${i}`);
    for (const id of ids) await store().createProfileWithIdentifiers('wsBump', id, { deviceIds: [], identityVersion: 5000 }, now);
    await store().bumpIdentityVersion('wsBump', 'v-1', 9000);
    await store().tombstone('wsBump', 'v-2', 100, now);

    await store().bumpIdentityVersions('wsBump', new Map(ids.map((id) => [id, 7000])));

    const profiles = await store().getProfiles('wsBump', ids);
    expect(profiles.get('v-0')?.identityVersion).toBe(7000);
    expect(profiles.get('v-119')?.identityVersion).toBe(7000);
    expect(profiles.get('v-1')?.identityVersion).toBe(9000);
    expect(profiles.get('v-2')).toMatchObject({ identityVersion: 100 });
    expect(profiles.get('v-2')?.deletedAt).toBeDefined();
  });
});
