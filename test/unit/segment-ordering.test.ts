/**
 * Property: however Segment delivers a set of Engage audience events — shuffled, some retried,
 * split into batches of any size, single events or arrays — and however SQS then delivers the
 * queued messages to the cohort worker (any order, some twice), every user ends in the state of
 * their newest event (timestamp, then messageId). Fresh seed each run (printed); replay one with
 * HUB_SEGMENT_SEED=<seed>.
 */
import fc from 'fast-check';
import { queuePublisher } from '../../functions/adapters/queue-publisher';
import { applyCohortUpsert, applyMembershipPart, cohortRef, type WorkerDeps } from '../../functions/domain/cohort-matching';
import { acceptSegmentAudiences } from '../../functions/domain/segment-ingest';
import { cohortImportMessageSchema } from '../../functions/schemas/cohort-import';
import { fakePartnerKeys, fakeReports, fakeSender, fakeSets } from './fakes/cohort-import';
import { FakeDirectory } from './fakes/directory';
import { FakeMembership } from './fakes/membership';
import { workspaceRecord } from './fakes/workspace-record';
import { fakeSigningKeys } from './fakes/workspaces';

const SEED = process.env.HUB_SEGMENT_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.HUB_SEGMENT_SEED);
const RECEIVED = Date.parse('2026-03-01T12:00:00Z');
const BASE = Date.parse('2025-06-01T00:00:00Z');
const USERS = ['u0', 'u1', 'u2', 'u3'];
const record = workspaceRecord();
const COHORT = cohortRef(record.workspaceId, 'aud_prop');

interface Spec {
  readonly user: number;
  readonly enter: boolean;
  /** Seconds after BASE: collisions are frequent, so the messageId tie-breaker is exercised. */
  readonly second: number;
  readonly track: boolean;
  /** Identified by a `user_alias` instead of `userId`: two identifiers of one profile in one message. */
  readonly viaAlias: boolean;
}

const eventOf = (spec: Spec, index: number) => {
  const personas = { computation_class: 'audience', computation_id: 'aud_prop', computation_key: 'prop_audience' };
  const user = USERS[spec.user] as string;
  const identifier = spec.viaAlias ? { user_alias: { alias_name: `${user}@x.io`, alias_label: 'email' } } : { userId: user };
  const common = { ...identifier, messageId: `m-${String(index).padStart(3, '0')}`, timestamp: new Date(BASE + spec.second * 1000).toISOString(), context: { personas } };
  return spec.track
    ? { ...common, type: 'track', event: spec.enter ? 'Audience Entered' : 'Audience Exited', properties: { audience_key: 'prop_audience', prop_audience: spec.enter } }
    : { ...common, type: 'identify', traits: { prop_audience: spec.enter } };
};

/** The expected members: users whose newest event (time, then messageId) entered. */
const expectedMembers = (specs: readonly Spec[]): string[] => {
  const newest = new Map<number, { key: string; enter: boolean }>();
  specs.forEach((spec, index) => {
    const key = `${String(spec.second).padStart(6, '0')}#m-${String(index).padStart(3, '0')}`;
    const kept = newest.get(spec.user);
    if (!kept || key > kept.key) newest.set(spec.user, { key, enter: spec.enter });
  });
  return [...newest].filter(([, state]) => state.enter).map(([user]) => `b-${USERS[user]}`).sort();
};

const setup = () => {
  const directory = new FakeDirectory();
  for (const user of USERS) {
    directory.seedProfile(record.workspaceId, `b-${user}`, { externalId: user });
    directory.seedClaim(record.workspaceId, `ext#${user}`, `b-${user}`, true);
    directory.seedClaim(record.workspaceId, `alias#email#${user}@x.io`, `b-${user}`, true);
  }
  const membership = new FakeMembership();
  const deps: WorkerDeps = { claims: directory, profiles: directory, membership, sets: fakeSets(), reports: fakeReports(), partnerKeys: fakePartnerKeys(), clock: { now: () => RECEIVED } };
  return { membership, deps };
};

const scenario = fc
  .array(fc.record({ user: fc.integer({ min: 0, max: USERS.length - 1 }), enter: fc.boolean(), second: fc.integer({ min: 0, max: 8 }), track: fc.boolean(), viaAlias: fc.boolean() }), { minLength: 1, maxLength: 30 })
  .chain((specs) => {
    const indices = specs.map((_, index) => index);
    return fc.record({
      specs: fc.constant(specs),
      order: fc.shuffledSubarray(indices, { minLength: specs.length, maxLength: specs.length }),
      retried: fc.subarray(indices),
      batchSizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 2 * specs.length, maxLength: 2 * specs.length }),
      asObject: fc.boolean(),
      workerOrder: fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
      redelivered: fc.array(fc.nat(), { maxLength: 20 }),
    });
  });

describe('Segment audience events: retried and reordered deliveries end in the newest event\'s state', () => {
  it('holds for any delivery order, retries and batching (fast-check)', async () => {
    console.log(`segment ordering property: seed ${SEED} (replay with HUB_SEGMENT_SEED=${SEED})`);
    await fc.assert(
      fc.asyncProperty(scenario, async ({ specs, order, retried, batchSizes, asObject, workerOrder, redelivered }) => {
        const { membership, deps } = setup();
        const sender = fakeSender();
        const publisher = queuePublisher(sender, 'cohort-import');
        // Segment's side: events shuffled, some delivered again, cut into batches.
        const deliveries = [...order, ...retried].map((index) => eventOf(specs[index] as Spec, index));
        for (let start = 0, cut = 0; start < deliveries.length; cut += 1) {
          const batch = deliveries.slice(start, start + (batchSizes[cut] ?? 1));
          start += batch.length;
          const rawBody = JSON.stringify(batch.length === 1 && asObject ? batch[0] : batch);
          const outcome = await acceptSegmentAudiences({ publisher, signingKeys: fakeSigningKeys }, record, { workspaceId: record.workspaceId, rawBody, receivedAt: RECEIVED + cut });
          expect(outcome.kind).toBe('accepted');
        }
        // SQS's side: the messages in any order, some delivered twice.
        const messages = sender.sent.map((body) => cohortImportMessageSchema.parse(JSON.parse(body)));
        const shuffled = messages.map((message, index) => ({ message, key: workerOrder[index % workerOrder.length] ?? 0 })).sort((a, b) => a.key - b.key);
        const again = redelivered.map((pick) => shuffled[pick % shuffled.length] as (typeof shuffled)[number]);
        for (const { message } of [...shuffled, ...again]) {
          if (message.type === 'cohort') await applyCohortUpsert(deps, message);
          else await applyMembershipPart(deps, message);
        }

        expect(membership.currentMembers(COHORT)).toEqual(expectedMembers(specs));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
