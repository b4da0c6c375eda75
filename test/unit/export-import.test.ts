import fc from 'fast-check';
import { applyUserFacts } from '../../functions/domain/directory';
import { importUserFile } from '../../functions/domain/directory-import';
import { importDeps, linesOf, recordingSink } from './fakes/directory-import';

const WS = 'ws1';
const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

const runExport = async (setup: ReturnType<typeof importDeps>, users: (string | object)[], version = T0) => {
  const recorded = recordingSink();
  const counts = await importUserFile(setup.deps, { workspaceId: WS, format: 'braze-export', lines: linesOf(users), version, importId: 'file-1' }, recorded.sink);
  return { counts, ...recorded };
};

describe('applying a Braze export file', () => {
  it('creates an alias-only user and a quiet identified user with their identifiers', async () => {
    const setup = importDeps();

    const { counts } = await runExport(setup, [
      { braze_id: 'b-alias', external_id: null, user_aliases: [{ alias_label: 'crm', alias_name: 'c-1' }], devices: [] },
      { braze_id: 'b-quiet', external_id: 'quiet-1', devices: [{ device_id: 'd-q', model: 'x' }] },
    ]);

    expect(counts).toMatchObject({ rows: 2, profilesCreated: 2, externalIdsApplied: 1, aliasesApplied: 1, devicesApplied: 1, conflicts: 0, rejected: 0 });
    expect(setup.directory.claimOf(WS, { kind: 'alias', label: 'crm', name: 'c-1' })).toMatchObject({ profileId: 'b-alias' });
    expect(setup.directory.claimOf(WS, { kind: 'external_id', value: 'quiet-1' })).toMatchObject({ profileId: 'b-quiet' });
    expect(setup.directory.profile(WS, 'b-quiet')?.identityVersion).toBe(T0);
    expect(setup.directory.claimOf(WS, { kind: 'device_id', value: 'd-q' })).toMatchObject({ ownerIdentified: true });
  });

  it('never overwrites a newer external_id learnt from Currents, yet adds the aliases and devices', async () => {
    const setup = importDeps();
    // Currents saw the user renamed to "new-id" at T0 + 2h; the export started at T0 still says "old-id".
    await applyUserFacts(setup.deps, WS, { brazeId: 'b1', deviceIds: new Set(), externalId: { value: 'new-id', time: T0 + 2 * HOUR, eventId: 'e' } }, undefined, 'v', 'now');

    const { counts, conflicts } = await runExport(setup, [{ braze_id: 'b1', external_id: 'old-id', user_aliases: [{ alias_label: 'email', alias_name: 'a@x' }], devices: [{ device_id: 'd1' }] }], T0);

    expect(setup.directory.profile(WS, 'b1')).toMatchObject({ externalId: 'new-id', aliases: { email: 'a@x' }, deviceIds: ['d1'], identityVersion: T0 + 2 * HOUR });
    expect(counts).toMatchObject({ stale: 1, conflicts: 0, aliasesApplied: 1, devicesApplied: 1, profilesUpdated: 1 });
    expect(conflicts).toEqual([]);
  });

  it('renames from a newer export, as a newer Currents event would', async () => {
    const setup = importDeps();
    await applyUserFacts(setup.deps, WS, { brazeId: 'b1', deviceIds: new Set(), externalId: { value: 'old-id', time: T0, eventId: 'e' } }, undefined, 'v', 'now');

    const { counts } = await runExport(setup, [{ braze_id: 'b1', external_id: 'new-id' }], T0 + 2 * HOUR);

    expect(setup.directory.profile(WS, 'b1')?.externalId).toBe('new-id');
    expect(counts).toMatchObject({ externalIdsApplied: 1, profilesUpdated: 1, stale: 0 });
  });

  it('counts an identifier another user holds as a conflict with its line, and applies the rest', async () => {
    const setup = importDeps();
    await runExport(setup, [{ braze_id: 'holder', user_aliases: [{ alias_label: 'email', alias_name: 'shared@x' }], devices: [{ device_id: 'shared-device' }] }]);

    const { counts, conflicts } = await runExport(setup, [
      '',
      { braze_id: 'other', external_id: 'o-1', user_aliases: [{ alias_label: 'email', alias_name: 'shared@x' }], devices: [{ device_id: 'shared-device' }, { device_id: 'own' }] },
    ]);

    expect(counts).toMatchObject({ rows: 1, profilesCreated: 1, conflicts: 2, devicesApplied: 1, externalIdsApplied: 1 });
    expect(conflicts).toEqual([
      { line: 2, identifier: 'alias:email:shared@x', reason: 'another user holds it' },
      { line: 2, identifier: 'device_id:shared-device', reason: 'another user holds it' },
    ]);
    expect(setup.directory.claimOf(WS, { kind: 'alias', label: 'email', name: 'shared@x' })).toMatchObject({ profileId: 'holder' });
  });

  it('leaves a deleted user deleted, deletes nobody the file lacks, and changes nothing when run again', async () => {
    const setup = importDeps();
    setup.directory.seedProfile(WS, 'gone', { deletedAt: 'x', identityVersion: T0 - HOUR });
    setup.directory.seedProfile(WS, 'absent-from-file', { externalId: 'keep' });
    const users = [{ braze_id: 'gone', external_id: 'g' }, { braze_id: 'b2', user_aliases: [{ alias_label: 'crm', alias_name: 'c2' }] }];

    const first = await runExport(setup, users);
    const again = await runExport(setup, users);

    expect(first.counts).toMatchObject({ deleted: 1, profilesCreated: 1 });
    expect(setup.directory.profile(WS, 'gone')?.deletedAt).toBe('x');
    expect(setup.directory.profile(WS, 'absent-from-file')?.externalId).toBe('keep');
    expect(again.counts).toMatchObject({ profilesCreated: 0, profilesUpdated: 0, profilesUnchanged: 1, deleted: 1, aliasesApplied: 0, conflicts: 0 });
  });

  it('rejects bad lines with their numbers, and a braze_id that repeats an earlier line of the chunk', async () => {
    const setup = importDeps();

    const { counts, rejects } = await runExport(setup, ['{"braze_id":"a"}', 'nope', '{"braze_id":"a","external_id":"x"}']);

    expect(counts).toMatchObject({ rows: 3, rejected: 2, profilesCreated: 1 });
    expect(rejects.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 2, reason: 'not valid JSON' },
      { line: 3, reason: 'braze_id a repeats an earlier line' },
    ]);
  });
});

describe('versions of export facts (property, fresh seed per run)', () => {
  /** A fact about one user: from Currents (an event at `time`) or from an export started at `time`. */
  const factArbitrary = fc.record({ source: fc.constantFrom('currents', 'export'), value: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }), device: fc.constantFrom('d1', 'd2') });

  it('the external_id left is always that of the newest fact carrying one, whatever order the facts arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(factArbitrary, { minLength: 1, maxLength: 6 }), fc.func(fc.integer()), async (facts, order) => {
        const setup = importDeps();
        // Facts are two hours apart (more than the identity bump granularity: directory.ts IDENTITY_BUMP_MS).
        const timed = facts.map((fact, index) => ({ ...fact, time: T0 + index * 2 * HOUR }));
        const arrival = [...timed].sort((x, y) => order(x.time) - order(y.time) || x.time - y.time);
        for (const fact of arrival) {
          if (fact.source === 'export') {
            await runExport(setup, [{ braze_id: 'u', ...(fact.value ? { external_id: fact.value } : {}), devices: [{ device_id: fact.device }] }], fact.time);
          } else {
            const externalId = fact.value ? { externalId: { value: fact.value, time: fact.time, eventId: `e${fact.time}` } } : {};
            await applyUserFacts(setup.deps, WS, { brazeId: 'u', deviceIds: new Set([fact.device]), ...externalId }, setup.directory.profile(WS, 'u'), 'v', 'now');
          }
        }
        const newest = [...timed].reverse().find((fact) => fact.value !== undefined);
        const profile = setup.directory.profile(WS, 'u');
        expect(profile?.externalId).toBe(newest?.value);
        if (newest) expect(profile?.identityVersion).toBe(newest.time);
        // Nothing is ever taken away: every device id of every fact is held.
        expect([...(profile?.deviceIds ?? [])].sort()).toEqual([...new Set(facts.map((fact) => fact.device))].sort());
      }),
      { numRuns: 200 },
    );
  });
});
