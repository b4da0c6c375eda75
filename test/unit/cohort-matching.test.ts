import {
  applyCohortUpsert,
  applyMembershipPart,
  cohortRef,
  importVersions,
  type WorkerDeps,
} from '../../functions/domain/cohort-matching';
import type { Identifier } from '../../functions/domain/identifiers';
import type { CohortUpsertMessage, MembershipMessage } from '../../functions/schemas/cohort-import';
import { fakePartnerKeys, fakeReports, fakeSets } from './fakes/cohort-import';
import { FakeDirectory, seedAnonAndKnown } from './fakes/directory';
import { FakeMembership } from './fakes/membership';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const COHORT = cohortRef('ws1', 'vip');

const setup = () => {
  const directory = new FakeDirectory();
  const membership = new FakeMembership();
  const sets = fakeSets();
  const reports = fakeReports();
  const partnerKeys = fakePartnerKeys();
  const deps: WorkerDeps = {
    claims: directory,
    profiles: directory,
    membership,
    sets,
    reports,
    partnerKeys,
    clock: { now: () => T0 + 1000 },
  };
  seedAnonAndKnown(directory);
  return { directory, membership, sets, reports, partnerKeys, deps };
};

const ext = (value: string): Identifier => ({ kind: 'external_id', value });
const dev = (value: string): Identifier => ({ kind: 'device_id', value });
const alias = (label: string, name: string): Identifier => ({ kind: 'alias', label, name });

let sequence = 0;
const message = (changes: { identifier: Identifier; op: 'add' | 'remove' }[], receivedAt = T0, part = 0, parts = 1): MembershipMessage => {
  sequence += 1;
  const importId = `imp_${sequence}`;
  return {
    dedupeKey: `${importId}#${part}`,
    type: 'members',
    workspaceId: 'ws1',
    partner: 'segment',
    cohortId: 'vip',
    importId,
    receivedAt,
    partnerKeyFingerprint: 'abcd',
    part,
    parts,
    stats: { received: { user_ids: 0, device_ids: 0, aliases: 0 }, duplicate: 0, conflicts: 0, conflictSamples: [] },
    changes,
  };
};

const add = (identifier: Identifier) => ({ identifier, op: 'add' as const });
const remove = (identifier: Identifier) => ({ identifier, op: 'remove' as const });

describe('cohort matching rules', () => {
  it('matches an anonymous profile by device id', async () => {
    const { deps, membership } = setup();

    const outcome = await applyMembershipPart(deps, message([add(dev('dev-anon'))]));

    expect(outcome).toMatchObject({ matched: 1, unmatched: 0, result: { added: 1 } });
    expect(membership.currentMembers(COHORT)).toEqual(['anon']);
  });

  it('drops a device_id match when the profile has an external_id', async () => {
    const { deps, membership } = setup();

    const outcome = await applyMembershipPart(deps, message([add(dev('dev-old'))]));

    expect(outcome).toMatchObject({ matched: 0, unmatched: 1, unmatchedSamples: ['dev-old'] });
    expect(membership.currentMembers(COHORT)).toEqual([]);
  });

  it('drops a device_id match when the claim was not flagged but the profile is identified', async () => {
    const { deps, directory, membership } = setup();
    directory.seedClaim('ws1', 'dev#dev-old', 'known', false);

    const outcome = await applyMembershipPart(deps, message([add(dev('dev-old'))]));

    expect(outcome.unmatched).toBe(1);
    expect(membership.currentMembers(COHORT)).toEqual([]);
  });

  it('matches identified profiles by external id and by alias', async () => {
    const { deps, membership } = setup();

    const outcome = await applyMembershipPart(deps, message([add(ext('user-1')), add(alias('email', 'k@x.io'))]));

    expect(outcome).toMatchObject({ matched: 2, result: { added: 1 } });
    expect(membership.currentMembers(COHORT)).toEqual(['known']);
  });

  it('counts unknown identifiers as unmatched with samples and creates nothing', async () => {
    const { deps, directory, membership } = setup();
    const profilesBefore = [...directory.profiles.keys()];

    const outcome = await applyMembershipPart(deps, message([add(ext('nobody')), add(dev('dev-x')), add(alias('email', 'no@x.io')), add(ext('user-1'))]));

    expect(outcome).toMatchObject({ matched: 1, unmatched: 3, unmatchedSamples: ['nobody', 'dev-x', 'email:no@x.io'] });
    expect(membership.currentMembers(COHORT)).toEqual(['known']);
    expect([...directory.profiles.keys()]).toEqual(profilesBefore);
  });

  it('keeps at most 100 unmatched samples', async () => {
    const { deps } = setup();
    const unknown = Array.from({ length: 150 }, (_, i) => add(ext(`ghost-${i}`)));

    const outcome = await applyMembershipPart(deps, message(unknown));

    expect(outcome.unmatched).toBe(150);
    expect(outcome.unmatchedSamples).toHaveLength(100);
  });

  it('resolves a merged profile to its survivor', async () => {
    const { deps, directory, membership } = setup();
    directory.seedProfile('ws1', 'orphan', { mergedInto: 'known' });
    directory.seedClaim('ws1', 'alias#crm#42', 'orphan');

    await applyMembershipPart(deps, message([add(alias('crm', '42'))]));

    expect(membership.currentMembers(COHORT)).toEqual(['known']);
  });

  it('lets the remove win when two identifiers of one profile disagree in one request', async () => {
    const { deps, membership } = setup();
    await applyMembershipPart(deps, message([add(ext('user-1'))], T0 - 5000));

    const outcome = await applyMembershipPart(deps, message([add(ext('user-1')), remove(alias('email', 'k@x.io'))]));

    expect(outcome.result).toMatchObject({ removed: 1, added: 0 });
    expect(membership.currentMembers(COHORT)).toEqual([]);
  });

  it('lets a remove win over an add of the same request even when its part is applied first', async () => {
    const { deps, membership } = setup();
    const removePart = message([remove(alias('email', 'k@x.io'))], T0, 1, 2);
    const addPart = { ...removePart, part: 0, dedupeKey: `${removePart.importId}#0`, changes: [add(ext('user-1'))] };

    await applyMembershipPart(deps, removePart);
    await applyMembershipPart(deps, addPart);

    expect(membership.currentMembers(COHORT)).toEqual([]);
    expect(importVersions(T0, 'imp').remove > importVersions(T0, 'imp').add).toBe(true);
  });

  it('a replayed older delta changes nothing', async () => {
    const { deps, membership } = setup();
    const older = message([add(ext('user-1'))], T0);
    const newer = message([remove(ext('user-1'))], T0 + 60_000);
    await applyMembershipPart(deps, older);
    await applyMembershipPart(deps, newer);

    const replay = await applyMembershipPart(deps, { ...older, dedupeKey: 'replayed' });

    expect(replay.result).toEqual({ added: 0, removed: 0, unchanged: 0, stale: 1 });
    expect(membership.currentMembers(COHORT)).toEqual([]);
  });

  it('gives an unknown cohort its id as a provisional name and records the partner key fingerprint', async () => {
    const { deps, sets, partnerKeys } = setup();

    await applyMembershipPart(deps, message([add(ext('user-1'))]));

    expect(sets.sets.get('vip')?.name).toBe('vip');
    expect(partnerKeys.seen).toEqual(['segment:abcd']);
  });
});

describe('cohort upserts', () => {
  const upsert = (name: string, receivedAt: number, createdAt: string): CohortUpsertMessage => ({
    dedupeKey: `imp_${name}#0`,
    type: 'cohort',
    workspaceId: 'ws1',
    partner: 'segment',
    cohortId: 'vip',
    importId: `imp_${name}`,
    receivedAt,
    name,
    createdAt,
  });

  it('keeps the first created_at, takes the newest name, and ignores a late older rename', async () => {
    const { deps, sets } = setup();

    await applyCohortUpsert(deps, upsert('First', T0, '2021-01-01T00:00:00.000Z'));
    await applyCohortUpsert(deps, upsert('Third', T0 + 2000, '2021-03-01T00:00:00.000Z'));
    await applyCohortUpsert(deps, upsert('Second', T0 + 1000, '2021-02-01T00:00:00.000Z'));

    expect(sets.sets.get('vip')).toMatchObject({ name: 'Third', createdAt: '2021-01-01T00:00:00.000Z' });
  });

  it('replaces a provisional name given by a membership delta', async () => {
    const { deps, sets } = setup();
    await applyMembershipPart(deps, message([add(ext('user-1'))]));

    await applyCohortUpsert(deps, upsert('VIP customers', T0 - 1000, '2021-01-01T00:00:00.000Z'));

    expect(sets.sets.get('vip')?.name).toBe('VIP customers');
  });
});
