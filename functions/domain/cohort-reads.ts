/**
 * The hub's read API over cohorts, import reports and user profiles (workspace `apiKey`):
 * cohort list, cohort members, one import report, and one user with its cohorts and Heap segments.
 * Pages use signed cursors bound to the workspace and route (the `CursorCodec` port); unknown ids are
 * `not-found` outcomes, bad queries and cursors `invalid` ones.
 */
import { MAX_ID_LENGTH } from '../schemas/cohort-import';
import { fitsKey, identifierBytesMessage, identifierFits, keyBytesMessage, type KeyInput } from '../schemas/key-bytes';
import type { Profile } from '../schemas/directory';
import type { WorkspaceRecord } from '../schemas/workspace';
import { resolveSurvivors, cohortRef } from './cohort-matching';
import { identifierKey, type Identifier } from './identifiers';
import { publicFailureReason } from './import-failures';
import { importIdScope, importIdTime, verifyImportId } from './import-ids';
import type { SetKind } from './membership';
import { invalid, notFound, ok, type Outcome } from './outcomes';
import type { ClaimResolver, CursorCodec, DeliveryReportStore, WebhookDeliveryStore, ImportReportReader, ProfileReader, SetMetaView, SetReads, SigningKeys, StoredImportReport } from './ports';
import { fullUnmatchedByReason } from './unmatched-reasons';
import { pagedRead } from './paging';

/** Alias label under which a profile carries its AB Tasty visitor id (the Heap segment member key). */
export const AB_TASTY_VISITOR_LABEL = 'ABTastyVisitorId';

export interface ReadDeps {
  readonly sets: SetReads;
  readonly reports: ImportReportReader;
  readonly profiles: ProfileReader;
  readonly claims: ClaimResolver;
  readonly cursors: CursorCodec;
  /** Verifies import ids (the workspace's random signing key). */
  readonly signingKeys: SigningKeys;
  /** AB Tasty delivery reports (`GET /v1/destinations/abtasty/deliveries`). */
  readonly deliveries: DeliveryReportStore;
  /** Change webhook POSTs (`GET /v1/destinations/webhook/deliveries`). */
  readonly webhookDeliveries: WebhookDeliveryStore;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

const cohortView = (meta: SetMetaView) => ({
  id: meta.setId,
  name: meta.name ?? meta.setId,
  source_partner: (meta.sourcePartner as string | undefined) ?? null,
  created_at: meta.createdAt ?? null,
  updated_at: meta.updatedAt ?? null,
  member_count: meta.memberCount,
});

/** `GET /v1/cohorts`: the workspace's cohorts ordered by id, one page. */
export const listCohorts = async (deps: ReadDeps, workspace: WorkspaceRecord, page: PageRequest) => {
  return pagedRead(
    deps.cursors,
    workspace,
    { route: 'cohorts', cursor: page.cursor },
    (startKey) => deps.sets.listSets(workspace.workspaceId, 'cohort', page.limit, startKey),
    (result) => ({ cohorts: result.sets.map(cohortView) }),
  );
};

/**
 * Longer ids cannot exist (ingest refuses them) and could exceed DynamoDB's key limits (in bytes,
 * key-bytes.ts), which would fail the read with a ValidationException (a 500): answer them without a read.
 */
const tooLong = (...values: string[]) => values.some((value) => value.length > MAX_ID_LENGTH);
const cannotExist = (input: KeyInput, value: string) => tooLong(value) || !fitsKey(input, value);

export const findCohort = async (deps: ReadDeps, workspace: WorkspaceRecord, cohortId: string): Promise<Outcome<SetMetaView>> => {
  if (cannotExist('cohortId', cohortId)) return notFound('Cohort not found');
  const meta = await deps.sets.getSet(cohortRef(workspace.workspaceId, cohortId));
  return meta ? ok(meta) : notFound(`Cohort not found: ${JSON.stringify(cohortId)}`);
};

/** `GET /v1/cohorts/{cohortId}/members`: current members, ordered by braze id, one page. */
export const listCohortMembers = async (deps: ReadDeps, workspace: WorkspaceRecord, cohortId: string, page: PageRequest) => {
  const meta = await findCohort(deps, workspace, cohortId);
  if (!meta.ok) return meta;
  const read = (startKey: Record<string, unknown> | undefined) => deps.sets.listMembers(cohortRef(workspace.workspaceId, cohortId), page.limit, startKey);
  return pagedRead(deps.cursors, workspace, { route: `cohorts/${cohortId}/members`, cursor: page.cursor }, read, async (result) => {
    const profiles = await deps.profiles.getProfiles(
      workspace.workspaceId,
      result.members.map((member) => member.memberId),
    );
    return {
      cohort: cohortView(meta.value),
      members: result.members.map((member) => {
        const profile = profiles.get(member.memberId);
        return {
          braze_id: member.memberId,
          external_id: profile?.externalId ?? null,
          ...(profile?.mergedInto !== undefined ? { merged_into: profile.mergedInto } : {}),
        };
      }),
    };
  });
};

/** Report status: every part counted → applied; a part given up → failed; otherwise queued. */
export const reportStatus = (report: StoredImportReport): 'queued' | 'applied' | 'failed' => {
  if (report.failed) return 'failed';
  return report.parts !== undefined && report.partsApplied.length >= report.parts ? 'applied' : 'queued';
};

/**
 * `GET /v1/cohorts/{cohortId}/imports/{importId}`. An id the hub issued whose report does not
 * exist yet is still in the queue: status "queued". Any other id is `not-found`.
 */
export const getImportReport = async (deps: ReadDeps, workspace: WorkspaceRecord, cohortId: string, importId: string) => {
  if (cannotExist('cohortId', cohortId) || cannotExist('importId', importId)) return notFound('Import not found');
  const report = await deps.reports.get({ set: cohortRef(workspace.workspaceId, cohortId), importId });
  if (report) return ok(reportView(report, cohortId, importId));
  if (!verifyImportId(importIdScope(await deps.signingKeys.forWorkspace(workspace)), cohortId, importId)) {
    return notFound(`Import not found: ${JSON.stringify(importId)} was not issued for cohort ${JSON.stringify(cohortId)}`);
  }
  return ok({ import_id: importId, cohort_id: cohortId, status: 'queued', received_at: new Date(importIdTime(importId)).toISOString() });
};

/** The report as the read API shows it. */
export const reportView = (report: StoredImportReport, cohortId: string, importId: string) => {
  const received = report.received;
  return {
    import_id: importId,
    cohort_id: cohortId,
    type: report.kind ?? null,
    partner: report.partner ?? null,
    status: reportStatus(report),
    received_at: report.receivedAt ?? new Date(importIdTime(importId)).toISOString(),
    updated_at: report.updatedAt ?? null,
    parts: report.parts ?? null,
    parts_applied: report.partsApplied.length,
    received: { ...received, total: received.user_ids + received.device_ids + received.aliases },
    matched: report.matched,
    unmatched: report.unmatched,
    unmatched_samples: report.unmatchedSamples.slice(0, 100),
    unmatched_by_reason: fullUnmatchedByReason(report.unmatchedByReason),
    unmatched_samples_by_reason: Object.fromEntries(Object.entries(report.unmatchedSamplesByReason ?? {}).map(([reason, list]) => [reason, (list ?? []).slice(0, 100)])),
    added: report.added,
    removed: report.removed,
    unchanged: report.unchanged,
    stale: report.stale,
    duplicate: report.duplicate,
    conflicts: report.conflicts,
    conflict_samples: report.conflictSamples,
    ...(report.failureReason !== undefined ? { failure_reason: publicFailureReason(report.failureReason) } : {}),
  };
};

/** Which identifier a `GET /v1/users` query names. */
export type UserQuery = { readonly kind: 'braze_id'; readonly value: string } | Identifier;

const USER_QUERY_HELP = 'Provide exactly one of external_id, alias_label with alias_name, device_id or braze_id';

/** Parses `?external_id=` | `?alias_label=&alias_name=` | `?device_id=` | `?braze_id=`. */
export const parseUserQuery = (query: Readonly<Record<string, string>>): Outcome<UserQuery> => {
  const given: UserQuery[] = [];
  if (query.external_id) given.push({ kind: 'external_id', value: query.external_id });
  if (query.device_id) given.push({ kind: 'device_id', value: query.device_id });
  if (query.braze_id) given.push({ kind: 'braze_id', value: query.braze_id });
  if (query.alias_label || query.alias_name) {
    if (!query.alias_label || !query.alias_name) return invalid(USER_QUERY_HELP, [USER_QUERY_HELP]);
    given.push({ kind: 'alias', label: query.alias_label, name: query.alias_name });
  }
  const [only, extra] = given;
  if (!only || extra) return invalid(USER_QUERY_HELP, [USER_QUERY_HELP]);
  const tooLongMessage = `Identifiers are at most ${MAX_ID_LENGTH} characters`;
  if (tooLong(...[query.external_id, query.device_id, query.braze_id, query.alias_label, query.alias_name].filter((value) => value !== undefined))) return invalid(tooLongMessage, [tooLongMessage]);
  const oversize = userQueryBytesProblem(only);
  return oversize ? invalid(oversize, [oversize]) : ok(only);
};

/** Why a user query names a key over its byte budget (no stored item can have it), or undefined. */
const userQueryBytesProblem = (query: UserQuery): string | undefined => {
  if (query.kind === 'braze_id') return fitsKey('brazeId', query.value) ? undefined : keyBytesMessage('braze_id', 'brazeId');
  return identifierFits(query) ? undefined : identifierBytesMessage(query.kind === 'alias' ? 'alias_label and alias_name' : query.kind, query.kind);
};

const findProfile = async (deps: ReadDeps, workspaceId: string, query: UserQuery): Promise<Profile | undefined> => {
  let brazeId: string | undefined;
  if (query.kind === 'braze_id') brazeId = query.value;
  else brazeId = (await deps.claims.resolveClaims(workspaceId, [identifierKey(query)])).get(identifierKey(query))?.profileId;
  if (brazeId === undefined) return undefined;
  return (await resolveSurvivors(deps.profiles, workspaceId, [brazeId])).get(brazeId);
};

const namedSets = async (deps: ReadDeps, workspaceId: string, kind: SetKind, setIds: readonly string[]) => {
  const metas = await Promise.all(setIds.map((setId) => deps.sets.getSet({ workspaceId, kind, setId })));
  return setIds.map((setId, index) => ({ id: setId, name: metas[index]?.name ?? setId }));
};

/**
 * `GET /v1/users`: the profile (a merged profile answers as its survivor), its identifiers, the
 * cohorts it is in now and — through its `ABTastyVisitorId` alias — the Heap segments its AB Tasty
 * visitor is in now. A device id is looked up as a plain identifier here (it names the profile that
 * holds it), unlike cohort matching, where an identified profile's device id matches nothing.
 */
export const findUser = async (deps: ReadDeps, workspace: WorkspaceRecord, query: UserQuery) => {
  const profile = await findProfile(deps, workspace.workspaceId, query);
  if (!profile) return notFound(`User not found for ${query.kind}`);
  const ws = workspace.workspaceId;
  const visitorId = profile.aliases[AB_TASTY_VISITOR_LABEL]?.toLowerCase();
  const [cohortIds, segmentIds] = await Promise.all([
    deps.sets.setsOfMember(ws, 'profile', profile.brazeId, 'cohort'),
    visitorId === undefined ? Promise.resolve([]) : deps.sets.setsOfMember(ws, 'visitor', visitorId, 'segment'),
  ]);
  const [cohorts, segments] = await Promise.all([
    namedSets(deps, ws, 'cohort', cohortIds.map((set) => set.setId)),
    namedSets(deps, ws, 'segment', segmentIds.map((set) => set.setId)),
  ]);
  return ok({
    braze_id: profile.brazeId,
    external_id: profile.externalId ?? null,
    aliases: Object.entries(profile.aliases)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, name]) => ({ alias_label: label, alias_name: name })),
    device_ids: profile.deviceIds,
    cohorts,
    heap_segments: segments,
  });
};
