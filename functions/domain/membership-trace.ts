/**
 * "Why is X (not) in Y" (docs/membership-history.md): one member's flips in one set, and the trace
 * of one identifier in one set — which profile it resolves to now and how, or why none
 * (`never_seen`, `device_of_identified_profile`, `merged_into` then the survivor, `deleted`), the
 * current membership and its version, the flips with their sources, and the recent cohort-import
 * decisions about the identifier: those the decision log stores (domain/decision-log.ts) with those
 * the flips tell (domain/flip-decisions.ts).
 */
import type { MembershipFlip } from '../schemas/membership-history';
import { fitsKey, identifierFits } from '../schemas/key-bytes';
import type { WorkspaceRecord } from '../schemas/workspace';
import { identifierKey, type Identifier } from './identifiers';
import { flipDecisions, mergeDecisions } from './flip-decisions';
import { byVersion } from './membership-history';
import type { MemberKind, SetRef } from './membership';
import { INVALID_CURSOR, invalid, ok, type Outcome } from './outcomes';
import type { ClaimResolver, CursorCodec, DecisionLog, HistoryStore, IdentifierDecision, ProfileReader, SetReads } from './ports';
import { normaliseVisitorId } from './visitor-ids';

export interface TraceDeps {
  readonly history: HistoryStore;
  readonly sets: Pick<SetReads, 'setsOfMember'>;
  readonly claims: ClaimResolver;
  readonly profiles: ProfileReader;
  readonly cursors: CursorCodec;
  readonly decisions: Pick<DecisionLog, 'recent' | 'recentOfMember'>;
}

/** How many of an identifier's decisions a trace shows (newest first). */
export const RECENT_DECISIONS = 20;

/** A decision as the trace shows it. */
export const decisionView = (decision: IdentifierDecision) => ({
  at: decision.at,
  import_id: decision.importId,
  partner: decision.partner,
  op: decision.op,
  decision: decision.decision,
  reason: decision.reason ?? null,
  braze_id: decision.brazeId ?? null,
});

/** A flip as the API shows it. */
export const flipView = (flip: MembershipFlip) => ({
  direction: flip.direction,
  version: flip.version,
  changed_at: flip.changedAt,
  source: flip.source ?? null,
});

/** Every flip of a member in a set, oldest first (a member has few: bounded pages of 1,000). */
const allFlips = async (history: HistoryStore, set: SetRef, memberId: string): Promise<MembershipFlip[]> => {
  const flips: MembershipFlip[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await history.memberHistory(set, memberId, 1000, startKey);
    flips.push(...page.flips);
    startKey = page.nextKey;
  } while (startKey);
  return byVersion(flips);
};

/** `GET …/members/{brazeId}/history` and `…/visitors/{visitorId}/history`: one page of a member's flips. */
export const memberHistory = async (
  deps: Pick<TraceDeps, 'history' | 'cursors'>,
  workspace: WorkspaceRecord,
  set: SetRef,
  memberId: string,
  page: { limit: number; cursor?: string | undefined },
) => {
  const route = `history#${set.kind}`;
  const cursor = await deps.cursors.decode(workspace, route, page.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  if (!fitsKey('brazeId', memberId) || !fitsKey('cohortId', set.setId)) return invalid('The id is longer than any stored one');
  const result = await deps.history.memberHistory(set, memberId, page.limit, cursor.key);
  return ok({
    [set.kind === 'cohort' ? 'cohort_id' : 'segment_id']: set.setId,
    member_id: memberId,
    flips: byVersion(result.flips).map(flipView),
    next_cursor: (await deps.cursors.encode(workspace, route, result.nextKey)) ?? null,
  });
};

type TraceIdentifier = Identifier | { readonly kind: 'braze_id'; readonly value: string } | { readonly kind: 'visitor_id'; readonly value: string };
export type TraceQuery = { readonly set: Omit<SetRef, 'workspaceId'>; readonly identifier: TraceIdentifier };

const TRACE_HELP = 'Give cohort_id with exactly one of external_id, alias_label + alias_name, device_id or braze_id; or segment_id with visitor_id';

/** Reads the trace's query string: one set, one identifier. */
export const parseTraceQuery = (query: Readonly<Record<string, string>>): Outcome<TraceQuery> => {
  if (query.segment_id !== undefined) {
    const visitor = normaliseVisitorId(query.visitor_id);
    if (query.cohort_id !== undefined || visitor === undefined) return invalid(TRACE_HELP, [TRACE_HELP]);
    return ok({ set: { kind: 'segment', setId: query.segment_id }, identifier: { kind: 'visitor_id', value: visitor } });
  }
  const given: TraceIdentifier[] = [];
  if (query.external_id) given.push({ kind: 'external_id', value: query.external_id });
  if (query.device_id) given.push({ kind: 'device_id', value: query.device_id });
  if (query.braze_id) given.push({ kind: 'braze_id', value: query.braze_id });
  if (query.alias_label && query.alias_name) given.push({ kind: 'alias', label: query.alias_label, name: query.alias_name });
  const [only, extra] = given;
  if (!query.cohort_id || !only || extra) return invalid(TRACE_HELP, [TRACE_HELP]);
  const fits = only.kind === 'braze_id' ? fitsKey('brazeId', only.value) : only.kind === 'visitor_id' ? false : identifierFits(only);
  if (!fits || !fitsKey('cohortId', query.cohort_id)) return invalid('An identifier is longer than any stored one');
  return ok({ set: { kind: 'cohort', setId: query.cohort_id }, identifier: only });
};

export type ResolutionStatus = 'resolved' | 'never_seen' | 'device_of_identified_profile' | 'merged_into' | 'deleted' | 'visitor';

export interface Resolution {
  readonly status: ResolutionStatus;
  /** The member id the set would hold for it now (the survivor when merged), if any. */
  readonly memberId?: string;
  readonly via?: string;
  readonly chain?: string[];
  readonly ownerBrazeId?: string;
}

/** Follows a profile through merges to the live survivor; `deleted` when the chain ends on a deletion. */
const followProfile = async (profiles: ProfileReader, workspaceId: string, brazeId: string, via: string): Promise<Resolution> => {
  const chain: string[] = [];
  let current = brazeId;
  for (let hop = 0; hop < 20; hop += 1) {
    const profile = (await profiles.getProfiles(workspaceId, [current])).get(current);
    if (!profile) return chain.length === 0 ? { status: 'never_seen', via } : { status: 'merged_into', via, chain };
    if (profile.deletedAt !== undefined) return { status: 'deleted', via, chain: [...chain, current] };
    if (profile.mergedInto === undefined) return chain.length === 0 ? { status: 'resolved', memberId: current, via } : { status: 'merged_into', memberId: current, via, chain: [...chain, current] };
    chain.push(current);
    current = profile.mergedInto;
  }
  return { status: 'merged_into', via, chain };
};

/** Which profile an identifier resolves to now, and through which claim, or why none. */
export const resolveIdentifier = async (deps: Pick<TraceDeps, 'claims' | 'profiles'>, workspaceId: string, identifier: TraceIdentifier): Promise<Resolution> => {
  if (identifier.kind === 'visitor_id') return { status: 'visitor', memberId: identifier.value, via: 'visitor_id' };
  if (identifier.kind === 'braze_id') return followProfile(deps.profiles, workspaceId, identifier.value, 'braze_id');
  const key = identifierKey(identifier);
  const claim = (await deps.claims.resolveClaims(workspaceId, [key])).get(key);
  if (!claim) return { status: 'never_seen' };
  const resolved = await followProfile(deps.profiles, workspaceId, claim.profileId, `claim ${key}`);
  if (identifier.kind === 'device_id' && resolved.memberId !== undefined) {
    const owner = (await deps.profiles.getProfiles(workspaceId, [resolved.memberId])).get(resolved.memberId);
    if (claim.ownerIdentified || owner?.externalId !== undefined) return { status: 'device_of_identified_profile', via: `claim ${key}`, ownerBrazeId: resolved.memberId };
  }
  return resolved;
};

const resolutionView = (resolution: Resolution) => ({
  status: resolution.status,
  braze_id: resolution.status === 'visitor' ? null : (resolution.memberId ?? null),
  via: resolution.via ?? null,
  ...(resolution.chain ? { merge_chain: resolution.chain } : {}),
  ...(resolution.ownerBrazeId ? { owner_braze_id: resolution.ownerBrazeId } : {}),
});

/**
 * The import decisions the member's flips tell (domain/flip-decisions.ts): those of the profile it
 * resolves to and of the profiles merged into it on the way.
 */
const toldDecisions = async (history: HistoryStore, set: SetRef, query: TraceQuery, resolution: Resolution, flips: readonly MembershipFlip[]): Promise<IdentifierDecision[]> => {
  const { identifier } = query;
  if (set.kind !== 'cohort' || identifier.kind === 'visitor_id') return [];
  const others = (resolution.chain ?? []).filter((id) => id !== resolution.memberId);
  const all = [...flips, ...(await Promise.all(others.map((id) => allFlips(history, set, id)))).flat()];
  return flipDecisions(set.workspaceId, set.setId, all, identifier.kind === 'braze_id' ? undefined : identifier);
};

/** The recent decisions of cohort imports about the identifier (a braze id: those that matched it); none for a segment. */
const recentDecisions = (decisions: TraceDeps['decisions'], workspaceId: string, query: TraceQuery): Promise<IdentifierDecision[]> => {
  const { identifier, set } = query;
  if (set.kind !== 'cohort' || identifier.kind === 'visitor_id') return Promise.resolve([]);
  if (identifier.kind === 'braze_id') return decisions.recentOfMember(workspaceId, set.setId, identifier.value, RECENT_DECISIONS);
  return decisions.recent(workspaceId, set.setId, identifier, RECENT_DECISIONS);
};

/** `GET /v1/trace` (and `npm run admin -- trace`): one identifier in one set, as one document. */
export const traceIdentifier = async (deps: Omit<TraceDeps, 'cursors'>, workspace: WorkspaceRecord, query: TraceQuery) => {
  const workspaceId = workspace.workspaceId;
  const set: SetRef = { workspaceId, ...query.set };
  const resolution = await resolveIdentifier(deps, workspaceId, query.identifier);
  const memberId = resolution.memberId;
  const memberKind: MemberKind = set.kind === 'cohort' ? 'profile' : 'visitor';
  const flips = memberId === undefined ? [] : await allFlips(deps.history, set, memberId);
  const isMember = memberId === undefined ? false : (await deps.sets.setsOfMember(workspaceId, memberKind, memberId, set.kind)).some((entry) => entry.setId === set.setId);
  return ok({
    workspace_id: workspaceId,
    set: { kind: set.kind, id: set.setId },
    identifier: query.identifier,
    resolution: resolutionView(resolution),
    membership: { member: isMember, version: flips.at(-1)?.version ?? null },
    flips: flips.map(flipView),
    recent_decisions: mergeDecisions(await recentDecisions(deps.decisions, workspaceId, query), await toldDecisions(deps.history, set, query, resolution, flips), RECENT_DECISIONS).map(decisionView),
  });
};
