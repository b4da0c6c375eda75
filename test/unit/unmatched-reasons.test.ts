import { matchIdentifiers } from '../../functions/domain/cohort-matching';
import type { Identifier } from '../../functions/domain/identifiers';
import { fullUnmatchedByReason, isMalformed } from '../../functions/domain/unmatched-reasons';
import { FakeDirectory } from './fakes/directory';

const add = (identifier: Identifier) => ({ identifier, op: 'add' as const });

describe('unmatched identifiers by reason', () => {
  const directory = new FakeDirectory();
  directory.seedProfile('ws1', 'anon', { deviceIds: ['dev-anon'] });
  directory.seedClaim('ws1', 'dev#dev-anon', 'anon');
  directory.seedProfile('ws1', 'known', { externalId: 'user-1', deviceIds: ['dev-known'] });
  directory.seedClaim('ws1', 'ext#user-1', 'known', true);
  directory.seedClaim('ws1', 'dev#dev-known', 'known', true);
  // A device claim not yet flagged, whose profile was merged into an identified survivor.
  directory.seedProfile('ws1', 'orphan', { mergedInto: 'known', deviceIds: ['dev-orphan'] });
  directory.seedClaim('ws1', 'dev#dev-orphan', 'orphan');
  // A claim of a merged profile whose survivor is gone (the chain ends nowhere).
  directory.seedProfile('ws1', 'lost', { mergedInto: 'missing', aliases: { crm: 'lost-1' } });
  directory.seedClaim('ws1', 'alias#crm#lost-1', 'lost');

  it('tells unknown, malformed, identified-device and merged-profile identifiers apart, per kind, with samples', async () => {
    const outcome = await matchIdentifiers({ claims: directory, profiles: directory }, 'ws1', [
      add({ kind: 'external_id', value: 'user-1' }),
      add({ kind: 'external_id', value: 'nobody' }),
      add({ kind: 'external_id', value: '  ' }),
      add({ kind: 'device_id', value: 'dev-anon' }),
      add({ kind: 'device_id', value: 'dev-known' }),
      add({ kind: 'device_id', value: 'dev-orphan' }),
      add({ kind: 'device_id', value: 'tab\there' }),
      add({ kind: 'alias', label: 'crm', name: 'lost-1' }),
      add({ kind: 'alias', label: 'crm', name: 'never' }),
    ]);

    expect(outcome).toMatchObject({ matched: 2, unmatched: 7 });
    expect(outcome.unmatchedByReason).toEqual({
      user_ids: { unknown_identifier: 1, malformed: 1 },
      device_ids: { device_of_identified_profile: 2, malformed: 1 },
      aliases: { merged_profile_followed: 1, unknown_identifier: 1 },
    });
    expect(outcome.unmatchedSamplesByReason).toEqual({
      unknown_identifier: ['nobody', 'crm:never'],
      malformed: ['  ', 'tab\there'],
      device_of_identified_profile: ['dev-known', 'dev-orphan'],
      merged_profile_followed: ['crm:lost-1'],
    });
  });

  it('shows every kind with the reasons that can apply to it, zeros included', () => {
    expect(fullUnmatchedByReason({ device_ids: { device_of_identified_profile: 3 } })).toEqual({
      user_ids: { unknown_identifier: 0, malformed: 0, merged_profile_followed: 0 },
      device_ids: { unknown_identifier: 0, device_of_identified_profile: 3, malformed: 0, merged_profile_followed: 0 },
      aliases: { unknown_identifier: 0, malformed: 0, merged_profile_followed: 0 },
    });
  });

  it('calls blank values and control characters malformed, and nothing else', () => {
    expect(isMalformed({ kind: 'external_id', value: '' })).toBe(true);
    expect(isMalformed({ kind: 'alias', label: 'email', name: '\u0000' })).toBe(true);
    expect(isMalformed({ kind: 'external_id', value: ' padded ' })).toBe(false);
    expect(isMalformed({ kind: 'device_id', value: 'é漢😀' })).toBe(false);
  });
});
