import type * as z from 'zod/mini';
import { aliasNewSchema, aliasOnlyBrazeId, createAliases, identifyAliases, identifySchema, parseAliasBody } from '../../functions/domain/identity';
import type { SetRef } from '../../functions/domain/membership';
import { refused } from '../../functions/handlers/http/responses';
import { FakeDirectory } from './fakes/directory';
import { FakeMembership } from './fakes/membership';

const WS = 'ws1';
const NOW = '2026-01-01T00:00:00.000Z';
const version = (index: number) => `000001000000000#identify#${index}`;

/** A body that must parse. */
const parsedBody = <T>(rawBody: string, schema: z.ZodMiniType<T>, arrayName: string): T => {
  const parsed = parseAliasBody(rawBody, schema, arrayName);
  if (!parsed.ok) throw new Error(`refused: ${parsed.message}`);
  return parsed.value;
};

describe('alias management', () => {
  let directory: FakeDirectory;
  let membership: FakeMembership;
  const deps = () => ({ directory, membership });

  beforeEach(() => {
    directory = new FakeDirectory();
    membership = new FakeMembership();
  });

  it('refuses more than 50 aliases with 400', () => {
    const body = JSON.stringify({ user_aliases: Array.from({ length: 51 }, (_, i) => ({ alias_name: `n${i}`, alias_label: 'l' })) });

    expect(parseAliasBody(body, aliasNewSchema, 'user_aliases')).toMatchObject({ ok: false, refused: 'invalid' });
  });

  it('refuses an alias object without a label with 400', () => {
    expect(parseAliasBody('{"user_aliases":[{"alias_name":"x"}]}', aliasNewSchema, 'user_aliases')).toMatchObject({ ok: false, refused: 'invalid' });
  });

  it('refuses with 400 an alias or external_id over its claim key byte budget, naming the item', () => {
    /** The answer to a body that does not parse, as the handler renders it. */
    const refusal = <T>(body: unknown, schema: z.ZodMiniType<T>, name: string) => {
      const parsed = parseAliasBody(JSON.stringify(body), schema, name);
      if (parsed.ok) return undefined;
      const response = refused(parsed);
      return { status: response.status, errors: (response.body as { errors?: string[] }).errors };
    };

    const aliasNew = refusal({ user_aliases: [{ alias_name: 'ok', alias_label: 'crm' }, { alias_name: '漢'.repeat(339), alias_label: 'crm' }] }, aliasNewSchema, 'user_aliases');
    const identify = refusal({ aliases_to_identify: [{ external_id: '#'.repeat(341), user_alias: { alias_name: 'n', alias_label: 'crm' } }] }, identifySchema, 'aliases_to_identify');

    expect(aliasNew).toEqual({ status: 400, errors: ['user_aliases.1: alias_label and alias_name are longer than 1017 bytes (UTF-8, each # or % counting 3)'] });
    expect(identify).toEqual({ status: 400, errors: ['aliases_to_identify.0.external_id: external_id is longer than 1020 bytes (UTF-8, each # or % counting 3)'] });
    expect(refusal({ user_aliases: [{ alias_name: '漢'.repeat(338), alias_label: 'crm', external_id: '#'.repeat(340) }] }, aliasNewSchema, 'user_aliases')).toBeUndefined();
  });

  it('creates an alias-only user with a 24-hex braze id, and a retry creates nothing new', async () => {
    const request = { user_aliases: [{ alias_name: 'a@x.io', alias_label: 'email' }] };

    const first = await createAliases(deps(), WS, request, NOW);
    const again = await createAliases(deps(), WS, request, NOW);

    const brazeId = aliasOnlyBrazeId(WS, 'email', 'a@x.io');
    expect(brazeId).toMatch(/^[0-9a-f]{24}$/);
    expect(first).toEqual({ message: 'success', aliases_processed: 1 });
    expect(again).toEqual({ message: 'success', aliases_processed: 1 });
    expect(directory.profiles.size).toBe(1);
    expect(directory.profile(WS, brazeId)?.aliases).toEqual({ email: 'a@x.io' });
  });

  it('adds an alias to an identified user, refusing a second alias of the same label and an unknown external_id', async () => {
    await directory.createProfile(WS, 'b1', NOW);
    await directory.claim(WS, 'b1', { kind: 'external_id', value: 'cust-1' }, NOW);

    const result = await createAliases(
      deps(),
      WS,
      {
        user_aliases: [
          { external_id: 'cust-1', alias_name: 'a@x.io', alias_label: 'email' },
          { external_id: 'cust-1', alias_name: 'b@x.io', alias_label: 'email' },
          { external_id: 'nobody', alias_name: 'c@x.io', alias_label: 'email' },
        ],
      },
      NOW,
    );

    expect(result.aliases_processed).toBe(1);
    expect(result.errors?.map((error) => error.index)).toEqual([1, 2]);
    expect(directory.profile(WS, 'b1')?.aliases).toEqual({ email: 'a@x.io' });
  });

  it('identifies an alias-only user with a new external_id by keeping the profile', async () => {
    await createAliases(deps(), WS, { user_aliases: [{ alias_name: 'a@x.io', alias_label: 'email' }] }, NOW);
    const request = parsedBody(
      JSON.stringify({ aliases_to_identify: [{ external_id: 'cust-7', user_alias: { alias_name: 'a@x.io', alias_label: 'email' } }] }),
      identifySchema,
      'aliases_to_identify',
    );

    const result = await identifyAliases(deps(), WS, request, version, NOW);

    expect(result.aliases_processed).toBe(1);
    expect(directory.profile(WS, aliasOnlyBrazeId(WS, 'email', 'a@x.io'))?.externalId).toBe('cust-7');
  });

  it('merges an alias-only user into the identified user, moving its cohorts', async () => {
    const cohort: SetRef = { workspaceId: WS, kind: 'cohort', setId: 'c1' };
    await directory.createProfile(WS, 'known', NOW);
    await directory.claim(WS, 'known', { kind: 'external_id', value: 'cust-8' }, NOW);
    await createAliases(deps(), WS, { user_aliases: [{ alias_name: 'crm-8', alias_label: 'crm' }] }, NOW);
    const aliasOnly = aliasOnlyBrazeId(WS, 'crm', 'crm-8');
    membership.add(cohort, aliasOnly);

    const result = await identifyAliases(deps(), WS, { aliases_to_identify: [{ external_id: 'cust-8', user_alias: { alias_name: 'crm-8', alias_label: 'crm' } }] }, version, NOW);

    expect(result.aliases_processed).toBe(1);
    expect(directory.profile(WS, aliasOnly)?.mergedInto).toBe('known');
    expect(directory.profile(WS, 'known')?.aliases).toEqual({ crm: 'crm-8' });
    expect(membership.isMember(cohort, 'known')).toBe(true);
    expect(membership.isMember(cohort, aliasOnly)).toBe(false);
  });

  it('does not merge when the identified user already has an alias with that label', async () => {
    await directory.createProfile(WS, 'known', NOW);
    await directory.claim(WS, 'known', { kind: 'external_id', value: 'cust-9' }, NOW);
    await directory.claim(WS, 'known', { kind: 'alias', label: 'crm', name: 'crm-OLD' }, NOW);
    await createAliases(deps(), WS, { user_aliases: [{ alias_name: 'crm-9', alias_label: 'crm' }] }, NOW);

    const result = await identifyAliases(deps(), WS, { aliases_to_identify: [{ external_id: 'cust-9', user_alias: { alias_name: 'crm-9', alias_label: 'crm' } }] }, version, NOW);

    expect(result.aliases_processed).toBe(0);
    expect(result.errors).toHaveLength(1);
    expect(directory.profile(WS, aliasOnlyBrazeId(WS, 'crm', 'crm-9'))?.mergedInto).toBeUndefined();
  });
});
