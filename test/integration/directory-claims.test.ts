import { directoryHub } from './harness';

describe('identifier claims on DynamoDB Local', () => {
  const now = new Date().toISOString();
  const { store } = directoryHub();

  it('refuses a transactional claim of an external_id that a second profile already holds', async () => {
    // Arrange
    await store().createProfile('wsA', 'braze-1', now);
    await store().createProfile('wsA', 'braze-2', now);
    expect(await store().claim('wsA', 'braze-1', { kind: 'external_id', value: 'user-42' }, now)).toBe('claimed');

    // Act
    const outcome = await store().claim('wsA', 'braze-2', { kind: 'external_id', value: 'user-42' }, now);

    // Assert: refused, and neither the claim nor the second profile changed
    expect(outcome).toBe('held-by-other');
    const claims = await store().resolveClaims('wsA', ['ext#user-42']);
    expect(claims.get('ext#user-42')?.profileId).toBe('braze-1');
    expect((await store().getProfile('wsA', 'braze-2'))?.externalId).toBeUndefined();
  });

  it('hands back the profile a second create found in its place, without a re-read (ReturnValuesOnConditionCheckFailure)', async () => {
    const identity = { externalId: 'user-77', deviceIds: ['dev-77'], identityVersion: 1_763_900_000_000 };
    expect(await store().createProfileWithIdentifiers('wsA', 'braze-77', identity, now)).toBe('created');

    const again = await store().createProfileWithIdentifiers('wsA', 'braze-77', identity, now);

    expect(again).toEqual({ exists: await store().getProfile('wsA', 'braze-77') });
    expect(again).toMatchObject({ exists: { brazeId: 'braze-77', externalId: 'user-77', deviceIds: ['dev-77'], identityVersion: 1_763_900_000_000 } });
  });

  it('keeps one alias per label per profile: a second name under the same label is refused', async () => {
    await store().createProfile('wsA', 'braze-3', now);
    expect(await store().claim('wsA', 'braze-3', { kind: 'alias', label: 'email', name: 'a@example.com' }, now)).toBe('claimed');

    const outcome = await store().claim('wsA', 'braze-3', { kind: 'alias', label: 'email', name: 'b@example.com' }, now);

    expect(outcome).toBe('label-taken');
    const claims = await store().resolveClaims('wsA', ['alias#email#b@example.com']);
    expect(claims.size).toBe(0);
    expect((await store().getProfile('wsA', 'braze-3'))?.aliases).toEqual({ email: 'a@example.com' });
  });

  it('re-claiming an identifier the profile already holds is an idempotent success', async () => {
    await store().createProfile('wsA', 'braze-4', now);
    await store().claim('wsA', 'braze-4', { kind: 'device_id', value: 'dev-1' }, now);

    const again = await store().claim('wsA', 'braze-4', { kind: 'device_id', value: 'dev-1' }, now);

    expect(again).toBe('claimed');
    expect((await store().getProfile('wsA', 'braze-4'))?.deviceIds).toEqual(['dev-1']);
  });

  it('scopes claims by workspace: the same external_id in another workspace is independent', async () => {
    await store().createProfile('wsB', 'braze-1', now);

    const outcome = await store().claim('wsB', 'braze-1', { kind: 'external_id', value: 'user-42' }, now);

    expect(outcome).toBe('claimed');
    expect((await store().resolveClaims('wsB', ['ext#user-42'])).get('ext#user-42')?.workspaceId).toBe('wsB');
  });
});
