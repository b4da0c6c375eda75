/**
 * `__proto__` / `constructor` keys in request bodies are plain data: they neither inject nor flip
 * anything; and names a client picks (partners, alias labels) are looked up as own keys only.
 */
import { queuePublisher } from '../../functions/adapters/queue-publisher';
import { validateCohortChanges, validateCohortUpsert } from '../../functions/domain/cohort-import-validation';
import type { IngestDeps } from '../../functions/domain/cohort-ingest';
import type { Outcome } from '../../functions/domain/outcomes';
import type { WorkspaceStore } from '../../functions/domain/ports';
import { cohortImportRoutes } from '../../functions/handlers/http/cohort-import';
import { createAliases, identifyAliases } from '../../functions/domain/identity';
import { groupRows, isReject, parseImportLine, type ImportRow } from '../../functions/domain/user-import';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import { hashSecret } from '../../functions/shared/crypto';
import { FakeDirectory } from './fakes/directory';
import { FakeMembership } from './fakes/membership';
import { fakeLimiter, fakeSender } from './fakes/cohort-import';
import { DATA_IMPORT_KEY, PARTNER_KEY, workspaceRecord } from './fakes/workspace-record';
import { fakeSigningKeys, fakeWorkspaceStore } from './fakes/workspaces';
import { httpRequest, respond } from './support/http-routes';

/** The value of an outcome that must be valid. */
const valid = <T>(outcome: Outcome<T>): T => {
  if (!outcome.ok) throw new Error(`refused: ${outcome.message}`);
  return outcome.value;
};

describe('prototype-pollution keys in cohort import bodies', () => {
  it('keeps an add an add when a change object carries "__proto__": {"should_remove": true}', () => {
    const body = JSON.parse('{"cohort_id":"c","cohort_changes":[{"user_ids":["p-1"],"__proto__":{"should_remove":true,"user_ids":["injected"]}}]}') as Record<string, unknown>;

    const parsed = valid(validateCohortChanges(body));

    expect(parsed.changes).toEqual([{ identifier: { kind: 'external_id', value: 'p-1' }, op: 'add' }]);
    expect(({} as Record<string, unknown>).should_remove).toBeUndefined();
  });

  it('injects no identifiers from a "__proto__" object and pollutes no prototype', () => {
    const body = JSON.parse('{"cohort_id":"c","constructor":{"prototype":{"polluted":true}},"cohort_changes":[{"__proto__":{"user_ids":["injected"]}}]}') as Record<string, unknown>;

    const parsed = valid(validateCohortChanges(body));

    expect(parsed.changes).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads the cohort name from the body itself, not from a "__proto__" key', () => {
    const body = JSON.parse('{"cohort_id":"c","created_at":"2026-01-01","__proto__":{"name":"from-proto"}}') as Record<string, unknown>;

    expect(validateCohortUpsert(body)).toMatchObject({ ok: false, message: '`name` must be a non-empty string' });
  });
});

describe('client-supplied names that are also Object.prototype members', () => {
  const NOW = Date.parse('2026-03-01T12:00:00Z');
  // The Object.prototype members that are valid partner names ([a-z0-9_-]{1,64}).
  const PROTOTYPE_NAMES = ['constructor', '__proto__'];
  const post = (overrides: Partial<WorkspaceRecord>, partner: string, key = PARTNER_KEY) => {
    const store = fakeWorkspaceStore(workspaceRecord(overrides));
    const deps: { store: WorkspaceStore; ingest: IngestDeps } = { store, ingest: { publisher: queuePublisher(fakeSender(), 'q'), limiter: fakeLimiter(), signingKeys: fakeSigningKeys } };
    const routes = cohortImportRoutes(() => deps.ingest, () => store);
    const body = JSON.stringify({ client_secret: DATA_IMPORT_KEY, partner_api_key: key, cohort_id: 'c', cohort_changes: [{ user_ids: ['u1'] }] });
    const request = (presented: string) => httpRequest({ pathParameters: { partner }, rawBody: body.replace(JSON.stringify(key), JSON.stringify(presented)), receivedAt: NOW });
    return { deps, call: (presented = key) => respond(routes, 'POST /partners/{partner}/cohorts/users', request(presented)) };
  };
  const statusOf = (call: Promise<{ status: number }>) => call.then((result) => result.status);

  it.each(PROTOTYPE_NAMES)('partner %j: accepted under policy "any", refused (401, never a crash) under "configured" and "pin"', async (partner) => {
    // Configured as an own key (only a fake can hold it: the SDK cannot store these map keys).
    const configured = post({ partnerKeyPolicy: 'configured', partnerKeyHashes: Object.fromEntries([[partner, hashSecret(PARTNER_KEY)]]) }, partner);
    const pin = post({ partnerKeyPolicy: 'pin' }, partner);
    const any = post({ partnerKeyPolicy: 'any' }, partner);

    const answers = [await statusOf(configured.call()), await statusOf(pin.call()), await statusOf(pin.call()), await statusOf(any.call())];

    expect(answers).toEqual([401, 401, 401, 201]);
    expect((pin.deps.store as ReturnType<typeof fakeWorkspaceStore>).pins).toEqual([]);
  });

  it('still pins and checks ordinary partner names', async () => {
    const { call } = post({ partnerKeyPolicy: 'pin' }, 'segment');

    expect([await statusOf(call()), await statusOf(call()), await statusOf(call('another-key'))]).toEqual([201, 201, 401]);
  });

  it('reads alias labels as own keys: a label "constructor" is free until the user has one', async () => {
    const directory = new FakeDirectory();
    const deps = { directory, membership: new FakeMembership() };
    await directory.createProfile('ws1', 'known', '2026-01-01T00:00:00.000Z');
    await directory.claim('ws1', 'known', { kind: 'external_id', value: 'cust-1' }, '2026-01-01T00:00:00.000Z');
    await createAliases(deps, 'ws1', { user_aliases: [{ alias_name: 'n-1', alias_label: 'constructor' }] }, '2026-01-01T00:00:00.000Z');

    const result = await identifyAliases(deps, 'ws1', { aliases_to_identify: [{ external_id: 'cust-1', user_alias: { alias_name: 'n-1', alias_label: 'constructor' } }] }, () => '000001000000000#identify#0', '2026-01-01T00:00:00.000Z');

    expect(result).toEqual({ message: 'success', aliases_processed: 1 });
    expect(directory.profile('ws1', 'known')?.aliases).toEqual({ constructor: 'n-1' });
  });

  it('groups users import rows with an alias label "toString" without calling it a clash', () => {
    // Rows as groupRows receives them (parsing refuses `constructor`/`__proto__`, see below).
    const rows: ImportRow[] = [
      { line: 1, externalId: 'c1', aliases: [{ label: 'toString', name: 'a' }], deviceIds: [] },
      { line: 2, externalId: 'c1', aliases: [{ label: 'constructor', name: 'b' }], deviceIds: [] },
    ];

    const { records, rejects } = groupRows('ws1', rows, () => '', new Map());

    expect(rejects).toEqual([]);
    expect(records[0]?.aliases).toEqual({ toString: 'a', constructor: 'b' });
  });

  it.each(['constructor', '__proto__'])('rejects a users import row with alias label %j, which a DynamoDB map cannot hold', (label) => {
    const row = parseImportLine('jsonl', JSON.stringify({ external_id: 'c1', alias_label: label, alias_name: 'n' }), 1);

    expect(row && isReject(row) ? row.reason : '').toContain(`alias_label "${label}" cannot be stored`);
  });
});
