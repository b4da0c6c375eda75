/**
 * Cohort import: 100,000 identifiers in 100 Braze requests of 1,000 (external ids, aliases and
 * anonymous device ids, 10 % unknown), from HTTP request to applied membership.
 * Ideal DynamoDB requests per identifier: one BatchGetItem per 100 to resolve, one BatchWriteItem per 25 to write.
 */
import { claimKey, memberKey, profileKey } from '../../../functions/adapters/dynamo/keys';
import { identifierKey, scoped, type Identifier } from '../../../functions/domain/identifiers';
import type { WorkspaceCredentials } from '../../../functions/schemas/workspace';
import type { BenchContext, Scenario } from '../run';
import { timedLoad } from '../stats';
import { floorMember, memberCount, seed, summarise, waitForPipeline } from './common';

const REQUEST_SIZE = 1000;
/** An import id of the hub's length (`imp_` + 25 + 16), for the floor's member sources. */
const FLOOR_IMPORT_ID = `imp_${'0'.repeat(41)}`;

const identifierFor = (index: number): Identifier => {
  switch (index % 5) {
    case 3:
      return { kind: 'alias', label: 'email', name: `user${index}@example.com` };
    case 4:
      return { kind: 'device_id', value: `device-${index}` };
    default:
      return { kind: 'external_id', value: `user-${index}` };
  }
};

const known = (index: number) => index % 10 !== 9;

/** The Braze id of known identifier `index`'s profile. */
const brazeIdOf = (index: number) => `b${index.toString(16).padStart(23, '0')}`;

/** Setup (not measured): one profile per known identifier, and its claim; returns how many. */
const seedDirectory = async (context: BenchContext, ws: string, total: number): Promise<number> => {
  const now = new Date().toISOString();
  const profiles: Record<string, unknown>[] = [];
  const claims: Record<string, unknown>[] = [];
  for (let index = 0; index < total; index += 1) {
    if (!known(index)) continue;
    const identifier = identifierFor(index);
    const brazeId = brazeIdOf(index);
    profiles.push({
      pk: scoped(ws, brazeId),
      sk: 'PROFILE',
      workspaceId: ws,
      brazeId,
      ...(identifier.kind === 'external_id' ? { externalId: identifier.value } : {}),
      aliases: identifier.kind === 'alias' ? { [identifier.label]: identifier.name } : {},
      deviceIds: identifier.kind === 'device_id' ? [identifier.value] : [],
      createdAt: now,
      updatedAt: now,
      identityVersion: 0,
    });
    const key = identifierKey(identifier);
    claims.push({ pk: scoped(ws, key), sk: 'CLAIM', workspaceId: ws, key, profileId: brazeId, ownerIdentified: identifier.kind === 'external_id', claimedAt: now, gsi1pk: scoped(ws, brazeId), gsi1sk: key });
  }
  context.log(`  seeding ${profiles.length} profiles and claims`);
  await seed(context, context.hub.tables.users, profiles);
  await seed(context, context.hub.tables.aliases, claims);
  return profiles.length;
};

/** The Braze requests: REQUEST_SIZE identifiers each, all kinds mixed. */
const requestBodies = (workspace: WorkspaceCredentials, total: number): string[] =>
  Array.from({ length: total / REQUEST_SIZE }, (_, request) => {
    const ids = Array.from({ length: REQUEST_SIZE }, (_, offset) => identifierFor(request * REQUEST_SIZE + offset));
    return JSON.stringify({
      partner_api_key: 'segment-partner-key',
      client_secret: workspace.dataImportKey,
      cohort_id: 'bench cohort',
      cohort_changes: [
        {
          user_ids: ids.flatMap((id) => (id.kind === 'external_id' ? [id.value] : [])),
          device_ids: ids.flatMap((id) => (id.kind === 'device_id' ? [id.value] : [])),
          aliases: ids.flatMap((id) => (id.kind === 'alias' ? [{ alias_label: id.label, alias_name: id.name }] : [])),
        },
      ],
    });
  });

export const cohortImportScenario: Scenario = {
  name: 'cohortImportSingleSet',
  async run(context) {
    const total = Math.max(REQUEST_SIZE, Math.round(100_000 * context.scale));
    const workspace = await context.createWorkspace();
    const ws = workspace.workspaceId;
    const expected = await seedDirectory(context, ws, total);
    const bodies = requestBodies(workspace, total);

    context.counter.reset();
    const started = performance.now();
    const ingestLatencies = await timedLoad(bodies.length, context.concurrency, async (index) => {
      const response = await fetch(`${context.hub.url}/partners/segment/cohorts/users`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: bodies[index] });
      if (response.status !== 201) throw new Error(`cohort import answered ${response.status}: ${await response.text()}`);
    });
    const cohort = { workspaceId: ws, kind: 'cohort' as const, setId: 'bench cohort' };
    await waitForPipeline(context, 'cohortImport', async () => (await memberCount(context, cohort)) === expected);
    const seconds = (performance.now() - started) / 1000;
    // Each identifier's claim, the one read matching needs (what the ideal's BatchGetItem per 100 is).
    const claimLookup = { table: context.hub.tables.aliases, key: (index: number) => claimKey(ws, identifierKey(identifierFor(index))) };

    return summarise(context, {
      changes: total,
      seconds,
      unit: 'identifiers/s',
      idealRequestsPerChange: 1 / 100 + 1 / 25,
      floorTable: context.hub.tables.cohorts,
      // As the pipeline stores a Segment audience member: the import, the audience, the naming identifier.
      floorItem: (index) => floorMember('cohort', `b${index}`, { kind: 'segment_audience', importId: FLOOR_IMPORT_ID, partner: 'segment', audience: 'bench cohort', identifier: identifierFor(index) }),
      floorLookup: claimLookup,
      // What matching reads besides: each claimed profile (merge chains, the device rule) and its
      // member state in the cohort (ordering, exact counts); unknown identifiers stop at the claim.
      floorReads: [
        claimLookup,
        { table: context.hub.tables.users, key: (index) => (known(index) ? profileKey(ws, brazeIdOf(index)) : undefined) },
        { table: context.hub.tables.cohorts, key: (index) => (known(index) ? memberKey(cohort, brazeIdOf(index)) : undefined) },
      ],
      extra: { requests: bodies.length, members: expected, ingestMsMax: Math.round(Math.max(...ingestLatencies)) },
    });
  },
};
