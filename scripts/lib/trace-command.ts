/**
 * `npm run admin -- trace --workspace <name> --cohort <id> (--external-id U | --alias-label L --alias-name N
 * | --device-id D | --braze-id B)` or `--segment <id> --visitor <id>`: the same document as
 * `GET /v1/trace` (`traceIdentifier` in functions/domain/membership-trace.ts), printed readably
 * (or as JSON with `--json`). And `users delete --workspace <name> (--external-id U | --braze-id B)`:
 * the deletion a Currents `users.UserDeleteRequest` runs (`deleteProfile` in functions/domain/directory.ts).
 */
import { dynamoDecisionLog } from '../../functions/adapters/decision-log';
import { directoryStore } from '../../functions/adapters/directory';
import { dynamoEventStore } from '../../functions/adapters/events-store';
import { dynamoHistoryStore } from '../../functions/adapters/history-store';
import { dynamoMembershipStore } from '../../functions/adapters/membership-store';
import { dynamoProfileReader } from '../../functions/adapters/profile-store';
import { dynamoSetReads } from '../../functions/adapters/set-reads';
import { deleteProfile } from '../../functions/domain/directory';
import { identifierKey } from '../../functions/domain/identifiers';
import { changeVersion } from '../../functions/domain/membership';
import { parseTraceQuery, traceIdentifier } from '../../functions/domain/membership-trace';
import { isoNow, systemClock, type WorkspaceStore } from '../../functions/domain/ports';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import type { Target } from './target';

/** The flags `trace` and `users delete` read. */
export const TRACE_FLAGS = {
  cohort: { type: 'string' },
  segment: { type: 'string' },
  visitor: { type: 'string' },
  'external-id': { type: 'string' },
  'alias-label': { type: 'string' },
  'alias-name': { type: 'string' },
  'device-id': { type: 'string' },
  'braze-id': { type: 'string' },
} as const;

type TraceValues = Partial<Record<keyof typeof TRACE_FLAGS | 'workspace', string>> & { json?: boolean };


/** The trace's query string as the route would get it, from the flags. */
const traceQueryOf = (values: TraceValues): Record<string, string> => {
  const pairs: [string, string | undefined][] = [
    ['cohort_id', values.cohort],
    ['segment_id', values.segment],
    ['visitor_id', values.visitor],
    ['external_id', values['external-id']],
    ['alias_label', values['alias-label']],
    ['alias_name', values['alias-name']],
    ['device_id', values['device-id']],
    ['braze_id', values['braze-id']],
  ];
  return Object.fromEntries(pairs.filter((pair): pair is [string, string] => pair[1] !== undefined));
};

const workspaceOf = async (store: WorkspaceStore & { getByName(name: string): Promise<WorkspaceRecord | undefined> }, name: string | undefined) => {
  if (!name) throw new Error('--workspace is required');
  const workspace = await store.getByName(name);
  if (!workspace) throw new Error(`No workspace named "${name}"`);
  return workspace;
};

type TraceDocument = Extract<Awaited<ReturnType<typeof traceIdentifier>>, { ok: true }>['value'];

/** The trace document as text: resolution, membership, flips and recent decisions, one line each. */
export const formatTrace = (doc: TraceDocument): string => {
  const { resolution } = doc;
  const lines = [
    `${doc.set.kind} ${doc.set.id} · ${JSON.stringify(doc.identifier)}`,
    `resolution: ${resolution.status}${resolution.braze_id ? ` → braze_id ${resolution.braze_id}` : ''}${resolution.via ? ` (via ${resolution.via})` : ''}` +
      `${'owner_braze_id' in resolution ? ` owner ${String(resolution.owner_braze_id)}` : ''}${'merge_chain' in resolution ? ` chain ${(resolution.merge_chain as string[]).join(' → ')}` : ''}`,
    `membership: ${doc.membership.member ? 'member' : 'not a member'}${doc.membership.version ? ` (version ${doc.membership.version})` : ''}`,
    `flips (${doc.flips.length}, oldest first):`,
    ...doc.flips.map((flip) => `  ${flip.changed_at ?? '?'}  ${flip.direction.padEnd(7)} ${flip.version}  ${flip.source ? JSON.stringify(flip.source) : ''}`),
    `recent decisions (${doc.recent_decisions.length}, newest first):`,
    ...doc.recent_decisions.map(
      (d) => `  ${d.at}  ${d.decision.padEnd(9)} ${d.op.padEnd(6)} import ${d.import_id} (${d.partner})${d.reason ? `  reason ${d.reason}` : ''}${d.braze_id ? `  braze_id ${d.braze_id}` : ''}`,
    ),
  ];
  return lines.join('\n');
};

const traceDepsFor = (target: Target) => ({
  history: dynamoHistoryStore(target.doc, target.table('history'), 400, () => systemClock.now()),
  sets: dynamoSetReads(target.doc, target.table('cohorts')),
  claims: directoryStore(target.doc, { users: target.table('users'), aliases: target.table('aliases') }),
  profiles: dynamoProfileReader(target.doc, target.table('users')),
  decisions: dynamoDecisionLog(target.doc, target.table('history')),
});

/** `trace`: the same domain function as `GET /v1/trace`; returns the text to print. */
export const runTrace = async (target: Target, store: Parameters<typeof workspaceOf>[0], values: TraceValues): Promise<string> => {
  const workspace = await workspaceOf(store, values.workspace);
  const query = parseTraceQuery(traceQueryOf(values));
  if (!query.ok) throw new Error(`${query.message} (flags: --cohort with --external-id, --alias-label + --alias-name, --device-id or --braze-id; or --segment with --visitor)`);
  const traced = await traceIdentifier(traceDepsFor(target), workspace, query.value);
  if (!traced.ok) throw new Error(traced.message);
  return values.json ? JSON.stringify(traced.value) : formatTrace(traced.value);
};

/** `users delete`: the profile of an external id or braze id deleted as a Currents users.UserDeleteRequest would. */
export const runUsersDelete = async (target: Target, store: Parameters<typeof workspaceOf>[0], values: TraceValues): Promise<string> => {
  const workspace = await workspaceOf(store, values.workspace);
  const directory = directoryStore(target.doc, { users: target.table('users'), aliases: target.table('aliases') });
  const externalId = values['external-id'];
  if ((externalId === undefined) === (values['braze-id'] === undefined)) throw new Error('users delete takes --external-id <id> or --braze-id <id>');
  const key = externalId === undefined ? undefined : identifierKey({ kind: 'external_id', value: externalId });
  const brazeId = key === undefined ? values['braze-id'] : (await directory.resolveClaims(workspace.workspaceId, [key])).get(key)?.profileId;
  if (brazeId === undefined) throw new Error(`No profile holds external_id "${externalId ?? ''}"`);
  const membership = dynamoMembershipStore(target.doc, target.table('cohorts'));
  const reads = dynamoSetReads(target.doc, target.table('cohorts'));
  const deps = {
    directory,
    membership: { apply: membership.apply.bind(membership), setsOfMember: reads.setsOfMember.bind(reads) },
    history: dynamoHistoryStore(target.doc, target.table('history'), 400, () => systemClock.now()),
    decisions: dynamoDecisionLog(target.doc, target.table('history')),
  };
  const nowMs = systemClock.now();
  const result = await deleteProfile(deps, workspace.workspaceId, brazeId, nowMs, changeVersion(nowMs, 'admin#users-delete'), isoNow(systemClock));
  const events = await dynamoEventStore(target.doc, { events: target.table('events'), idempotency: target.table('idempotency') }).deleteUserEvents(workspace.workspaceId, brazeId);
  return `Deleted braze_id ${brazeId}: left ${result.cohortsLeft} cohort(s), dropped ${result.claimsDropped} identifier(s), deleted ${events} stored event(s).`;
};

