/**
 * The request side of Braze partner cohort import (`POST /partners/{partner}/cohorts[/users]`),
 * once the caller is authenticated (cohort-import-auth.ts): count the request against the
 * workspace's rate limit, validate in Braze's words (cohort-import-validation.ts) and queue the
 * request whole — or say why not. No DynamoDB work happens here beyond the rate-limit counter.
 */
import type { CohortUpsertMessage, MembershipMessage, ReceivedCounts } from '../schemas/cohort-import';
import type { ImportCaller } from './cohort-import-auth';
import { collapseIdentifierChanges, validateCohortChanges, validateCohortUpsert, type CollapsedChanges, type IdentifierChange } from './cohort-import-validation';
import { importIdScope, issueImportId } from './import-ids';
import { chunkToFit } from './message-chunks';
import { decisionLogDays } from './decision-log';
import type { Outcome, Refusal } from './outcomes';
import type { PublishOutcome, QueuePublisher, RateLimitDecision, RateLimiter, SigningKeys } from './ports';
import { retryAfterSeconds } from './rate-limit';

export interface IngestDeps {
  readonly publisher: QueuePublisher;
  readonly limiter: RateLimiter;
  /** Signs the import ids (the workspace's random signing key). */
  readonly signingKeys: SigningKeys;
}

export interface IngestRequest {
  readonly partner: string;
  /** When the request was received, epoch ms: the version of every change it carries. */
  readonly receivedAt: number;
}

/** What became of an authenticated import request; every outcome after counting carries the workspace's rate-limit decision. */
export type ImportOutcome =
  | { readonly kind: 'rate-limited'; readonly rateLimit: RateLimitDecision; readonly retryAfterSeconds: number }
  | { readonly kind: 'invalid'; readonly rateLimit: RateLimitDecision; readonly refusal: Refusal }
  /** One identifier cannot fit a queue message (cannot happen within the request limits). */
  | { readonly kind: 'too-large'; readonly rateLimit: RateLimitDecision }
  /** The queue did not take the whole request: the partner retries it (safe: every message is idempotent). */
  | { readonly kind: 'unavailable'; readonly rateLimit: RateLimitDecision; readonly publish: Extract<PublishOutcome, { ok: false }> }
  /** Queued (an `importId` names it), or a credential probe that queued nothing. */
  | { readonly kind: 'accepted'; readonly rateLimit: RateLimitDecision; readonly importId?: string };

/**
 * Splits one request's collapsed changes into messages that each fit a queue message. Every part
 * repeats the request's facts, so each part can record them idempotently, and names its index and
 * the part count. Undefined when one change alone cannot fit.
 */
export const planMembershipMessages = (
  base: Omit<MembershipMessage, 'dedupeKey' | 'type' | 'part' | 'parts' | 'changes' | 'stats'>,
  collapsed: CollapsedChanges,
  received: ReceivedCounts,
  fits: (body: string) => boolean,
): string[] | undefined => {
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
  const bodies = chunkToFit(collapsed.changes, (chunk) => JSON.stringify(build(chunk, placeholder, placeholder)), fits);
  const chunks = bodies?.map((body) => (JSON.parse(body) as MembershipMessage).changes);
  return chunks?.map((chunk, index) => JSON.stringify(build(chunk, index, chunks.length)));
};

/**
 * Counts the request, then (if the workspace is within its limit) runs `accept` on the validated
 * input; every outcome carries the rate-limit decision.
 */
const countThen = async <T>(
  deps: IngestDeps,
  caller: ImportCaller,
  request: IngestRequest,
  validated: Outcome<T>,
  accept: (input: T) => { bodies: string[] | undefined; importId?: string },
): Promise<ImportOutcome> => {
  const rateLimit = await deps.limiter.hit(caller.workspace.workspaceId, request.receivedAt);
  if (!rateLimit.allowed) return { kind: 'rate-limited', rateLimit, retryAfterSeconds: retryAfterSeconds(rateLimit, request.receivedAt) };
  if (!validated.ok) return { kind: 'invalid', rateLimit, refusal: validated };
  const { bodies, importId } = accept(validated.value);
  if (!bodies) return { kind: 'too-large', rateLimit };
  if (bodies.length === 0) return { kind: 'accepted', rateLimit };
  const published = await deps.publisher.publishAll(bodies);
  return published.ok ? { kind: 'accepted', rateLimit, ...(importId ? { importId } : {}) } : { kind: 'unavailable', rateLimit, publish: published };
};

/** `POST /partners/{partner}/cohorts`: validates and queues a cohort create-or-rename. */
export const acceptCohortUpsert = async (deps: IngestDeps, caller: ImportCaller, request: IngestRequest): Promise<ImportOutcome> => {
  const ids = importIdScope(await deps.signingKeys.forWorkspace(caller.workspace));
  return countThen(deps, caller, request, validateCohortUpsert(caller.body), (input) => {
    const { workspace, fingerprint } = caller;
    const importId = issueImportId(ids, input.cohortId, request.receivedAt);
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
    return { bodies: [JSON.stringify(message)], importId };
  });
};

/**
 * `POST /partners/{partner}/cohorts/users`: validates, collapses (remove wins) and queues a
 * membership delta whole. An empty `cohort_changes` is a credential probe: accepted, nothing queued.
 */
export const acceptCohortChanges = async (deps: IngestDeps, caller: ImportCaller, request: IngestRequest): Promise<ImportOutcome> => {
  const ids = importIdScope(await deps.signingKeys.forWorkspace(caller.workspace));
  return countThen(deps, caller, request, validateCohortChanges(caller.body), (input) => {
    if (input.changes.length === 0) return { bodies: [] };
    const { workspace, fingerprint } = caller;
    const importId = issueImportId(ids, input.cohortId, request.receivedAt);
    const base = { workspaceId: workspace.workspaceId, partner: request.partner, cohortId: input.cohortId, importId, receivedAt: request.receivedAt, partnerKeyFingerprint: fingerprint, decisionLogDays: decisionLogDays(workspace) };
    const bodies = planMembershipMessages(base, collapseIdentifierChanges(input.changes), input.received, deps.publisher.fits);
    return { bodies, importId };
  });
};
