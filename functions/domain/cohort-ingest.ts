/**
 * The request side of Braze partner cohort import (`POST /partners/{partner}/cohorts[/users]`):
 * authenticate the body's credentials, validate with Braze's own error texts, and queue the
 * request whole (or answer 503). No DynamoDB work happens here beyond the credential check, the
 * rate-limit counter and, under the "pin" policy, pinning a partner key on first use.
 */
import { hashSecret, constantTimeEqual } from '../shared/crypto';
import { enqueueAll, chunkForMessages, type QueueSender } from '../shared/enqueue';
import { BadRequestError, HubError, NotFoundError } from '../shared/errors';
import {
  BRAZE_ERRORS,
  MAX_IDENTIFIERS_PER_REQUEST,
  SAMPLE_LIMIT,
  cohortChangesSchema,
  cohortIdSchema,
  cohortNameSchema,
  type CohortUpsertMessage,
  type MembershipMessage,
  type ReceivedCounts,
} from '../schemas/cohort-import';
import { partnerNameSchema, type WorkspaceRecord } from '../schemas/workspace';
import { describeIdentifier, identifierKey, type Identifier } from './identifiers';
import { issueImportId } from './import-ids';
import { collapseChanges, type MembershipOp } from './membership';
import type { WorkspaceStore } from './ports';
import { enforceRateLimit, type RateLimiter } from './rate-limit';
import { authenticate, expectedPartnerKey } from './workspaces';

/** An error answer in Braze's body convention: `{"message": "...", "errors": ["..."]}`. */
export const brazeError = (status: number, message: string): HubError => new HubError(status, message, [message]);

export interface IngestDeps {
  readonly store: WorkspaceStore;
  readonly sender: QueueSender;
  readonly queueUrl: string;
  readonly limiter: RateLimiter;
}

export interface IngestRequest {
  readonly partner: string;
  readonly rawBody: string;
  /** When the request was received, epoch ms: the version of every change it carries. */
  readonly receivedAt: number;
}

export interface IngestResult {
  readonly status: number;
  readonly body: { message: 'success'; import_id?: string; [extra: string]: unknown };
  readonly headers: Record<string, string>;
}

/** Parses the body; anything but a JSON object is a 400. */
export const parseJsonBody = (rawBody: string): Record<string, unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new BadRequestError('Request body must be valid JSON', ['Request body must be valid JSON']);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('Request body must be a JSON object', ['Request body must be a JSON object']);
  }
  return parsed as Record<string, unknown>;
};

/** Short, non-reversible fingerprint of a partner key, for "which keys have we seen" records. */
export const partnerKeyFingerprint = (keyHash: string): string => keyHash.slice(0, 16);

/**
 * Authenticates `client_secret` (the workspace's data import key), then applies the workspace's
 * partner rules: an allow-list of partners, and the partner-key policy (`any`: accept and record;
 * `pin`: the first key seen is pinned; `configured`: must equal the configured key). Hashes are
 * compared in constant time.
 */
export const authorizeImport = async (
  store: WorkspaceStore,
  partner: string,
  body: Record<string, unknown>,
): Promise<{ workspace: WorkspaceRecord; fingerprint: string }> => {
  const secret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  const workspace = await authenticate(store, 'dataImportKey', secret);
  if (!workspace) throw brazeError(401, BRAZE_ERRORS.invalidClientSecret);
  // An absent or empty list means every partner may import (admin: --allowed-partners '*').
  if (workspace.allowedPartners && workspace.allowedPartners.length > 0 && !workspace.allowedPartners.includes(partner)) {
    throw brazeError(401, BRAZE_ERRORS.partnerNotEnabled);
  }
  const presented = body.partner_api_key;
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) {
    throw brazeError(401, BRAZE_ERRORS.invalidPartnerKey);
  }
  const hash = hashSecret(presented);
  if (workspace.partnerKeyPolicy !== 'any') {
    const expected = await expectedPartnerKey(store, workspace, partner, hash);
    if (expected === undefined || !constantTimeEqual(expected, hash)) throw brazeError(401, BRAZE_ERRORS.invalidPartnerKey);
  }
  return { workspace, fingerprint: partnerKeyFingerprint(hash) };
};

const requireCohortId = (body: Record<string, unknown>): string => {
  const parsed = cohortIdSchema.safeParse(body.cohort_id);
  if (!parsed.success) throw brazeError(400, BRAZE_ERRORS.cohortId);
  return parsed.data;
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Normalises an ISO-8601 date or date-time to UTC (`toISOString`), or undefined when invalid. */
export const parseIsoTime = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = ISO_8601.exec(value.trim());
  if (!match) return undefined;
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2): check the calendar date itself.
  const [year, month, day] = value.trim().slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  let text = value.trim().replace(' ', 'T').replace(',', '.');
  // A time without an offset is read as UTC (Braze's convention), never as the server's local time.
  if (text.includes('T') && match[1] === undefined) text += 'Z';
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

export interface CohortUpsertInput {
  readonly cohortId: string;
  readonly name: string;
  readonly createdAt: string;
}

/** Validates a `/cohorts` body, field by field, in Braze's words. */
export const validateCohortUpsert = (body: Record<string, unknown>): CohortUpsertInput => {
  const cohortId = requireCohortId(body);
  const name = cohortNameSchema.safeParse(body.name);
  if (!name.success) throw brazeError(400, BRAZE_ERRORS.name);
  const createdAt = parseIsoTime(body.created_at);
  if (createdAt === undefined) throw brazeError(400, BRAZE_ERRORS.createdAt);
  return { cohortId, name: name.data, createdAt };
};

export interface IdentifierChange {
  readonly identifier: Identifier;
  readonly op: MembershipOp;
}

export interface CohortChangesInput {
  readonly cohortId: string;
  /** Every identifier in request order (before collapsing). */
  readonly changes: IdentifierChange[];
  readonly received: ReceivedCounts;
}

/**
 * Validates a `/cohorts/users` body. Each change object may hold `user_ids`, `device_ids` and
 * `aliases` (a list or one object); unknown keys are ignored and `should_remove` defaults to false.
 * More than 1,000 identifiers across all objects is refused whole.
 */
export const validateCohortChanges = (body: Record<string, unknown>): CohortChangesInput => {
  const cohortId = requireCohortId(body);
  const parsed = cohortChangesSchema.safeParse(body.cohort_changes);
  if (!parsed.success) throw brazeError(400, BRAZE_ERRORS.cohortChanges);
  const received: ReceivedCounts = { user_ids: 0, device_ids: 0, aliases: 0 };
  const changes: IdentifierChange[] = [];
  for (const object of parsed.data) {
    const op: MembershipOp = object.should_remove === true ? 'remove' : 'add';
    const aliases = object.aliases == null ? [] : Array.isArray(object.aliases) ? object.aliases : [object.aliases];
    received.user_ids += object.user_ids?.length ?? 0;
    received.device_ids += object.device_ids?.length ?? 0;
    received.aliases += aliases.length;
    if (received.user_ids + received.device_ids + received.aliases > MAX_IDENTIFIERS_PER_REQUEST) {
      throw brazeError(400, BRAZE_ERRORS.tooManyIdentifiers);
    }
    for (const value of object.user_ids ?? []) changes.push({ identifier: { kind: 'external_id', value }, op });
    for (const value of object.device_ids ?? []) changes.push({ identifier: { kind: 'device_id', value }, op });
    for (const alias of aliases) changes.push({ identifier: { kind: 'alias', label: alias.alias_label, name: alias.alias_name }, op });
  }
  return { cohortId, changes, received };
};

export interface CollapsedChanges {
  readonly changes: IdentifierChange[];
  /** Repeated occurrences of an identifier beyond its first. */
  readonly duplicate: number;
  /** Identifiers that appear both as add and as remove: the remove wins. */
  readonly conflicts: number;
  readonly conflictSamples: string[];
}

/** One change per identifier, the removal winning over an add of the same identifier. */
export const collapseIdentifierChanges = (changes: readonly IdentifierChange[]): CollapsedChanges => {
  const byKey = new Map<string, Identifier>();
  const ops = new Map<string, Set<MembershipOp>>();
  for (const change of changes) {
    const key = identifierKey(change.identifier);
    byKey.set(key, change.identifier);
    const seen = ops.get(key) ?? new Set<MembershipOp>();
    seen.add(change.op);
    ops.set(key, seen);
  }
  const collapsed = collapseChanges(changes.map((change) => ({ memberId: identifierKey(change.identifier), op: change.op })));
  const conflicting = [...ops].filter(([, seen]) => seen.size > 1).map(([key]) => key);
  return {
    changes: collapsed.changes.map((change) => ({ identifier: byKey.get(change.memberId) as Identifier, op: change.op })),
    duplicate: changes.length - byKey.size,
    conflicts: conflicting.length,
    conflictSamples: conflicting.slice(0, SAMPLE_LIMIT).map((key) => describeIdentifier(byKey.get(key) as Identifier)),
  };
};

/**
 * Splits one request's collapsed changes into ≤256 KiB messages. Every part repeats the request's
 * facts, so each part can record them idempotently, and names its index and the part count.
 */
export const planMembershipMessages = (
  base: Omit<MembershipMessage, 'dedupeKey' | 'type' | 'part' | 'parts' | 'changes' | 'stats'>,
  collapsed: CollapsedChanges,
  received: ReceivedCounts,
): string[] => {
  const stats = { received, duplicate: collapsed.duplicate, conflicts: collapsed.conflicts, conflictSamples: collapsed.conflictSamples };
  const build = (changes: readonly IdentifierChange[], part: number, parts: number): MembershipMessage => ({
    ...base,
    dedupeKey: `${base.importId}#${part}`,
    type: 'members',
    part,
    parts,
    stats,
    changes: [...changes],
  });
  // Sized with the widest part numbers, then rebuilt with the real ones (never longer).
  const placeholder = 999_999;
  const chunks: IdentifierChange[][] = [];
  chunkForMessages(collapsed.changes, (chunk) => {
    return JSON.stringify(build(chunk, placeholder, placeholder));
  }).forEach((body) => chunks.push((JSON.parse(body) as MembershipMessage).changes));
  return chunks.map((chunk, index) => JSON.stringify(build(chunk, index, chunks.length)));
};

/** What every accepted import request has once authenticated and counted. */
interface Accepted {
  readonly body: Record<string, unknown>;
  readonly workspace: WorkspaceRecord;
  readonly fingerprint: string;
  readonly headers: Record<string, string>;
}

const acceptWith = async (deps: IngestDeps, request: IngestRequest): Promise<Accepted> => {
  if (!partnerNameSchema.safeParse(request.partner).success) throw new NotFoundError('Not found');
  const body = parseJsonBody(request.rawBody);
  const { workspace, fingerprint } = await authorizeImport(deps.store, request.partner, body);
  const headers = await enforceRateLimit(deps.limiter, workspace.workspaceId, request.receivedAt);
  return { body, workspace, fingerprint, headers };
};

/**
 * Authenticates and counts a request, then runs `queue`; refusals after counting carry the
 * `X-RateLimit-*` headers too.
 */
const acceptThen =
  (queue: (deps: IngestDeps, request: IngestRequest, accepted: Accepted) => Promise<IngestResult>) =>
  async (deps: IngestDeps, request: IngestRequest): Promise<IngestResult> => {
    const accepted = await acceptWith(deps, request);
    try {
      return await queue(deps, request, accepted);
    } catch (error) {
      if (error instanceof HubError) throw new HubError(error.status, error.message, error.errors, { ...accepted.headers, ...error.headers }, error.logDetail);
      throw error;
    }
  };

/** `POST /partners/{partner}/cohorts`: validates and queues a cohort create-or-rename. */
export const acceptCohortUpsert = acceptThen(async (deps, request, { body, workspace, fingerprint, headers }) => {
  const input = validateCohortUpsert(body);
  const importId = issueImportId(workspace, input.cohortId, request.receivedAt);
  const message: CohortUpsertMessage = {
    dedupeKey: `${importId}#0`,
    type: 'cohort',
    workspaceId: workspace.workspaceId,
    partner: request.partner,
    cohortId: input.cohortId,
    importId,
    receivedAt: request.receivedAt,
    partnerKeyFingerprint: fingerprint,
    name: input.name,
    createdAt: input.createdAt,
  };
  await enqueueAll(deps.sender, deps.queueUrl, [JSON.stringify(message)]);
  return { status: 201, body: { message: 'success', import_id: importId }, headers };
});

/**
 * `POST /partners/{partner}/cohorts/users`: validates, collapses (remove wins) and queues a
 * membership delta whole. An empty `cohort_changes` is a credential probe: 201, nothing queued.
 */
export const acceptCohortChanges = acceptThen(async (deps, request, { body, workspace, fingerprint, headers }) => {
  const input = validateCohortChanges(body);
  if (input.changes.length === 0) return { status: 201, body: { message: 'success' }, headers };
  const importId = issueImportId(workspace, input.cohortId, request.receivedAt);
  const collapsed = collapseIdentifierChanges(input.changes);
  const bodies = planMembershipMessages(
    {
      workspaceId: workspace.workspaceId,
      partner: request.partner,
      cohortId: input.cohortId,
      importId,
      receivedAt: request.receivedAt,
      partnerKeyFingerprint: fingerprint,
    },
    collapsed,
    input.received,
  );
  await enqueueAll(deps.sender, deps.queueUrl, bodies);
  return { status: 201, body: { message: 'success', import_id: importId }, headers };
});
