/** The per-identifier decision log (functions/domain/decision-log.ts, adapters/decision-log.ts `decisionItem`). */
import { decisionItem } from '../../functions/adapters/decision-log';
import { applyMembershipPart, type WorkerDeps } from '../../functions/domain/cohort-matching';
import { DEFAULT_DECISION_LOG_DAYS, decisionLogDays } from '../../functions/domain/decision-log';
import { flipDecisions, mergeDecisions } from '../../functions/domain/flip-decisions';
import { identifierKey, type Identifier } from '../../functions/domain/identifiers';
import type { DecisionLog, IdentifierDecision } from '../../functions/domain/ports';
import type { MembershipMessage } from '../../functions/schemas/cohort-import';
import { decisionLogUpdateFrom } from '../../scripts/lib/decision-log-options';
import { fakePartnerKeys, fakeReports, fakeSets } from './fakes/cohort-import';
import { FakeDirectory, seedAnonAndKnown } from './fakes/directory';
import { FakeMembership } from './fakes/membership';

const T0 = Date.parse('2026-03-01T12:00:00Z');

/** An in-memory decision log keyed like the table: (cohort, identifier, import); `ifAbsent` honoured. */
const memoryDecisionLog = () => {
  const items = new Map<string, IdentifierDecision>();
  const retentions: number[] = [];
  const keyOf = (d: IdentifierDecision) => JSON.stringify([d.cohortId, identifierKey(d.identifier), d.importId]);
  const log: DecisionLog = {
    record(decisions, retentionDays) {
      retentions.push(retentionDays);
      for (const { ifAbsent, ...decision } of decisions) if (!(ifAbsent && items.has(keyOf(decision)))) items.set(keyOf(decision), decision);
      return Promise.resolve();
    },
    recent(_ws, cohortId, identifier, limit) {
      const key = identifierKey(identifier);
      return Promise.resolve([...items.values()].filter((d) => d.cohortId === cohortId && identifierKey(d.identifier) === key).sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit));
    },
    recentOfMember: () => Promise.resolve([]),
    forgetIdentifiers: () => Promise.resolve(0),
  };
  return { log, items, retentions };
};

const setup = () => {
  const directory = new FakeDirectory();
  const decisions = memoryDecisionLog();
  const membership = new FakeMembership();
  const deps: WorkerDeps = {
    claims: directory,
    profiles: directory,
    membership,
    sets: fakeSets(),
    reports: fakeReports(),
    partnerKeys: fakePartnerKeys(),
    clock: { now: () => T0 + 1000 },
    decisions: decisions.log,
  };
  seedAnonAndKnown(directory);
  return { deps, decisions, membership };
};

const ext = (value: string): Identifier => ({ kind: 'external_id', value });
const dev = (value: string): Identifier => ({ kind: 'device_id', value });
const add = (identifier: Identifier) => ({ identifier, op: 'add' as const });
const remove = (identifier: Identifier) => ({ identifier, op: 'remove' as const });

const message = (importId: string, changes: MembershipMessage['changes'], receivedAt: number, decisionLogDays?: number): MembershipMessage => ({
  dedupeKey: `${importId}#0`,
  type: 'members',
  workspaceId: 'ws1',
  partner: 'heap',
  cohortId: 'vip',
  importId,
  receivedAt,
  part: 0,
  parts: 1,
  stats: { received: { user_ids: 0, device_ids: 0, aliases: 0 }, duplicate: 0, conflicts: 0, conflictSamples: [] },
  changes,
  ...(decisionLogDays !== undefined ? { decisionLogDays } : {}),
});

/** An identifier's decisions as the trace shows them: the stored ones with those its member's flips tell. */
const decisionsOf = async (log: DecisionLog, identifier: Identifier, membership?: FakeMembership) =>
  mergeDecisions(await log.recent('ws1', 'vip', identifier, 20), flipDecisions('ws1', 'vip', membership?.flips ?? [], identifier), 20).map((d) => ({ importId: d.importId, decision: d.decision, reason: d.reason, brazeId: d.brazeId }));

describe('decision log: one decision per identifier an import names, stored unless its flip tells it', () => {
  it('records added, unchanged (re-add), removed, and unmatched with the reason, newest first', async () => {
    const { deps, decisions, membership } = setup();
    await applyMembershipPart(deps, message('imp_1', [add(ext('user-1')), add(ext('nobody')), add(dev('dev-old')), add(dev('dev-anon'))], T0));
    await applyMembershipPart(deps, message('imp_2', [add(ext('user-1'))], T0 + 60_000));
    await applyMembershipPart(deps, message('imp_3', [remove(ext('user-1'))], T0 + 120_000));

    expect(await decisionsOf(decisions.log, ext('user-1'), membership)).toEqual([
      { importId: 'imp_3', decision: 'removed', reason: undefined, brazeId: 'known' },
      { importId: 'imp_2', decision: 'unchanged', reason: 'already_member', brazeId: 'known' },
      { importId: 'imp_1', decision: 'added', reason: undefined, brazeId: 'known' },
    ]);
    expect(await decisionsOf(decisions.log, ext('nobody'))).toEqual([{ importId: 'imp_1', decision: 'unmatched', reason: 'unknown_identifier', brazeId: undefined }]);
    expect(await decisionsOf(decisions.log, dev('dev-old'))).toEqual([{ importId: 'imp_1', decision: 'unmatched', reason: 'device_of_identified_profile', brazeId: 'known' }]);
    expect(await decisionsOf(decisions.log, dev('dev-anon'), membership)).toEqual([{ importId: 'imp_1', decision: 'added', reason: undefined, brazeId: 'anon' }]);
    // Stored: only what no flip tells (unknown, device of identified, the re-add); the flips tell the rest.
    expect([...decisions.items.values()].map((d) => [d.importId, d.decision]).sort()).toEqual([['imp_1', 'unmatched'], ['imp_1', 'unmatched'], ['imp_2', 'unchanged']]);
    expect(membership.flips.map((flip) => [flip.memberId, flip.direction, flip.source?.identifier])).toEqual([
      ['known', 'entered', ext('user-1')],
      ['anon', 'entered', dev('dev-anon')],
      ['known', 'exited', ext('user-1')],
    ]);
    const [record] = await decisions.log.recent('ws1', 'vip', ext('nobody'), 1);
    expect(record).toMatchObject({ workspaceId: 'ws1', cohortId: 'vip', partner: 'heap', op: 'add', at: new Date(T0).toISOString(), identifier: ext('nobody') });
  });

  it('says stale for a change older than the one applied, and outranked when another identifier of the profile won', async () => {
    const { deps, decisions, membership } = setup();
    await applyMembershipPart(deps, message('imp_new', [add(ext('user-1'))], T0 + 60_000));
    await applyMembershipPart(deps, message('imp_old', [remove(ext('user-1'))], T0));
    await applyMembershipPart(deps, message('imp_both', [add(ext('user-1')), remove({ kind: 'alias', label: 'email', name: 'k@x.io' })], T0 + 120_000));

    const byImport = Object.fromEntries((await decisionsOf(decisions.log, ext('user-1'), membership)).map((d) => [d.importId, [d.decision, d.reason]]));
    expect(byImport).toEqual({ imp_new: ['added', undefined], imp_old: ['stale', 'newer_change_applied'], imp_both: ['removed', 'outranked'] });
  });

  it('writes nothing when the workspace switched the log off, and passes the retention otherwise', async () => {
    const { deps, decisions } = setup();
    await applyMembershipPart(deps, message('imp_off', [add(ext('user-1')), add(ext('nobody'))], T0, 0));
    expect(decisions.items.size).toBe(0);
    expect(decisions.retentions).toEqual([]);

    await applyMembershipPart(deps, message('imp_default', [add(ext('user-1'))], T0 + 1));
    await applyMembershipPart(deps, message('imp_30', [add(ext('user-1'))], T0 + 2, 30));
    expect(decisions.retentions).toEqual([DEFAULT_DECISION_LOG_DAYS, 30]);
  });

  it('is idempotent under redelivery: the first delivery’s decision stands', async () => {
    const { deps, decisions, membership } = setup();
    const delivery = message('imp_1', [add(ext('user-1')), add(ext('nobody'))], T0);
    await applyMembershipPart(deps, delivery);
    await applyMembershipPart(deps, delivery);

    expect(decisions.items.size).toBe(2);
    expect(await decisionsOf(decisions.log, ext('user-1'), membership)).toEqual([{ importId: 'imp_1', decision: 'added', reason: undefined, brazeId: 'known' }]);
  });

  it('a redelivery whose first delivery crashed before logging records the change as applied, shown only where no flip tells it', async () => {
    const { deps, decisions, membership } = setup();
    const delivery = message('imp_1', [add(ext('user-1'))], T0);
    await applyMembershipPart({ ...deps, decisions: undefined }, delivery);
    await applyMembershipPart(deps, delivery);
    const applied = { importId: 'imp_1', decision: 'applied', reason: 'applied_by_earlier_delivery', brazeId: 'known' };
    expect(await decisionsOf(decisions.log, ext('user-1'))).toEqual([applied]);
    // The first delivery's flip tells what it did: the record of the redelivery is not shown beside it.
    expect(await decisionsOf(decisions.log, ext('user-1'), membership)).toEqual([{ importId: 'imp_1', decision: 'added', reason: undefined, brazeId: 'known' }]);
  });
});

describe('decision items (adapters/decision-log.ts)', () => {
  const decision = (over: Partial<IdentifierDecision> = {}): IdentifierDecision => ({
    workspaceId: 'ws1',
    cohortId: 'vip',
    identifier: ext('user-1'),
    importId: 'imp_1',
    partner: 'heap',
    op: 'add',
    decision: 'added',
    brazeId: 'known',
    at: new Date(T0).toISOString(),
    ...over,
  });

  it('has deterministic keys per (cohort, identifier) and import, newest-first sortable', () => {
    const first = decisionItem(decision(), 14);
    expect(decisionItem(decision(), 14)).toEqual(first);
    const later = decisionItem(decision({ importId: 'imp_2', at: new Date(T0 + 1000).toISOString() }), 14);
    expect(later.pk).toBe(first.pk);
    expect(String(later.sk) > String(first.sk)).toBe(true);
    expect(decisionItem(decision({ identifier: ext('user-2') }), 14).pk).not.toBe(first.pk);
    expect(decisionItem(decision({ cohortId: 'other' }), 14).pk).not.toBe(first.pk);
  });

  it('expires the retention after the import, and is indexed by member when matched, by identifier when not', () => {
    expect(decisionItem(decision(), 14).expiresAt).toBe(T0 / 1000 + 14 * 86_400);
    expect(decisionItem(decision(), 3).expiresAt).toBe(T0 / 1000 + 3 * 86_400);
    expect(decisionItem(decision(), 14).gsi1pk).toBe('ws1#P#known');
    const unmatched = decisionItem(decision({ decision: 'unmatched', reason: 'device_of_identified_profile', identifier: dev('d1') }), 14);
    expect(String(unmatched.gsi1pk)).toMatch(/^ws1#I#/);
    expect(unmatched.itemKind).toBe('decision');
  });
});

describe('the workspace setting', () => {
  it('is on for 14 days unless set, and 0 days when off', () => {
    expect(decisionLogDays({})).toBe(14);
    expect(decisionLogDays({ decisionLog: { enabled: true, days: 30 } })).toBe(30);
    expect(decisionLogDays({ decisionLog: { enabled: false, days: 30 } })).toBe(0);
  });

  it('is changed by workspace set --decision-log / --decision-log-days', () => {
    expect(decisionLogUpdateFrom({}, undefined)).toBeUndefined();
    expect(decisionLogUpdateFrom({ 'decision-log': 'off' }, undefined)).toEqual({ enabled: false, days: 14 });
    expect(decisionLogUpdateFrom({ 'decision-log-days': '7' }, { enabled: false, days: 14 })).toEqual({ enabled: false, days: 7 });
    expect(() => decisionLogUpdateFrom({ 'decision-log': 'maybe' }, undefined)).toThrow('on or off');
    expect(() => decisionLogUpdateFrom({ 'decision-log-days': '0' }, undefined)).toThrow('1 to 400');
  });
});
