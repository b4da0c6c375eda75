/**
 * The Heap segment-sync webhook, once authenticated (heap-webhook-auth.ts): turn a
 * `segment.users.sync` page or a `segment.users.drain` into heapSync messages (heap-messages.ts),
 * queued whole or not at all. The segment worker applies them; nothing is written to the membership
 * tables on the request path, so an accepted delivery is cheap and a refused one leaves nothing
 * half-done.
 */
import { heapDrainDataSchema, heapEnvelopeSchema, heapSyncDataSchema, type HeapEnvelope } from '../schemas/heap';
import type { WorkspaceRecord } from '../schemas/workspace';
import { parseJson } from '../shared/json';
import type { HeapAuthDeps, RefusalReason, Verified } from './heap-webhook-auth';
import { MAX_NAME_LENGTH, drainKey, drainMessage, syncPageMessages } from './heap-messages';
import { collapseChanges } from './membership';
import type { PublishOutcome, QueuePublisher } from './ports';
import { partitionVisitorIds } from './visitor-ids';

export type { RefusalReason, Verified };

/** A verified delivery the hub cannot use, kept for operators (`GET /v1/heap/rejects`). */
export interface HeapReject {
  readonly workspaceId: string;
  readonly receivedAt: number;
  readonly reason: string;
  readonly rawBody: string;
}

export interface HeapWebhookDeps extends HeapAuthDeps {
  /** Keeps a rejected delivery with its reason. */
  readonly recordReject: (reject: HeapReject) => Promise<void>;
  readonly publisher: QueuePublisher;
  /**
   * When this sync page (`<workspace>#<sync task>#<page>`) or drain (`drainKey`) was first received, recording `receivedAt`
   * if it is the first time. A page Heap re-sends keeps its first version: otherwise a re-send
   * arriving after a newer page would carry a newer version, and since both copies share one
   * idempotency key, whichever copy the queue delivered first would decide the outcome.
   */
  readonly firstReceivedAt?: (pageKey: string, receivedAt: number) => Promise<number>;
}

export interface HeapWebhookInput {
  readonly rawBody: string;
  /** When the request reached the hub (epoch ms): the version of the changes it carries. */
  readonly receivedAt: number;
}

/** What became of a verified delivery. */
export type HeapWebhookResult =
  | {
      readonly outcome: 'queued';
      readonly action: 'segment.users.sync';
      readonly segmentId: string;
      readonly pageNumber: number;
      readonly totalPages: number;
      readonly adds: number;
      readonly removes: number;
      readonly invalidIds: number;
      readonly messages: number;
    }
  | { readonly outcome: 'queued'; readonly action: 'segment.users.drain'; readonly segmentId: string; readonly messages: number }
  | { readonly outcome: 'ignored'; readonly action: string }
  /** Kept with its reason in the rejects store; answered as handled (a refusal would make Heap retry it forever). */
  | { readonly outcome: 'rejected'; readonly reason: string }
  /** An `id_token` other than the pinned one: refused like any authentication failure. */
  | { readonly outcome: 'refused'; readonly reason: RefusalReason }
  /** The queue did not take the whole delivery: Heap retries it. */
  | { readonly outcome: 'unavailable'; readonly publish: Extract<PublishOutcome, { ok: false }> }
  /** One change cannot fit a queue message (cannot happen: visitor ids are at most 32 characters). */
  | { readonly outcome: 'too-large' };

type Queued = Extract<HeapWebhookResult, { outcome: 'queued' }>;
type Step = Queued | Extract<HeapWebhookResult, { outcome: 'rejected' | 'unavailable' | 'too-large' }>;

const issues = (error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string =>
  error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`).join('; ');

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The verified body's envelope, or why it is not one Heap could mean. */
const parseEnvelope = (rawBody: string): Parsed<HeapEnvelope> => {
  const json = parseJson(rawBody);
  if (!json.ok) return { ok: false, reason: 'Body is not valid JSON' };
  const envelope = heapEnvelopeSchema.safeParse(json.value);
  return envelope.success ? { ok: true, value: envelope.data } : { ok: false, reason: `Invalid webhook body: ${issues(envelope.error)}` };
};

/**
 * A pinned `id_token` must match, except on a drain that carries none: Heap's drain body holds only
 * the segment (`bin/data/drain.json` in heap/heap-api-reference), and its signature already verified.
 */
const idTokenAccepted = (workspace: WorkspaceRecord, body: HeapEnvelope): boolean => {
  const pinned = workspace.heapIdTokenPinned;
  if (pinned === undefined) return true;
  if (body.id_token === undefined && body.action_type === 'segment.users.drain') return true;
  return body.id_token === pinned;
};

/** Records a token Heap presented, once per token (only after the body is known good). */
const recordIdToken = async (deps: HeapWebhookDeps, workspace: WorkspaceRecord, idToken: string | undefined) => {
  if (idToken !== undefined && idToken !== '' && !workspace.heapIdTokensSeen.includes(idToken)) {
    await deps.workspaces.recordHeapIdToken(workspace.workspaceId, idToken);
  }
};

/** Keeps a verified delivery the hub cannot use, with its reason, and answers it as handled. */
const rejectDelivery = async (deps: HeapWebhookDeps, workspace: WorkspaceRecord, input: HeapWebhookInput, reason: string): Promise<HeapWebhookResult> => {
  await deps.recordReject({ workspaceId: workspace.workspaceId, receivedAt: input.receivedAt, reason, rawBody: input.rawBody });
  return { outcome: 'rejected', reason };
};

/** Publishes a delivery's messages; `queued` is what the delivery answers once they are all in. */
const publish = async (deps: HeapWebhookDeps, bodies: string[] | undefined, queued: Queued): Promise<Step> => {
  if (!bodies) return { outcome: 'too-large' };
  const published = await deps.publisher.publishAll(bodies);
  return published.ok ? queued : { outcome: 'unavailable', publish: published };
};

const queueSyncPage = async (deps: HeapWebhookDeps, verified: Verified, input: HeapWebhookInput, raw: unknown): Promise<Step> => {
  const data = heapSyncDataSchema.safeParse(raw);
  if (!data.success) return { outcome: 'rejected', reason: `Invalid segment.users.sync body: data.${issues(data.error)}` };
  const { segment, sync_info: syncInfo } = data.data;
  const workspaceId = verified.workspace.workspaceId;
  const adds = partitionVisitorIds(data.data.add.map((user) => user.id));
  const removes = partitionVisitorIds(data.data.remove.map((user) => user.id));
  const { changes } = collapseChanges([
    ...adds.valid.map((memberId) => ({ memberId, op: 'add' as const })),
    ...removes.valid.map((memberId) => ({ memberId, op: 'remove' as const })),
  ]);
  const syncTaskId = String(syncInfo.sync_task_id);
  const pageKey = `${workspaceId}#${syncTaskId}#${syncInfo.page_number}`;
  const versionAt = deps.firstReceivedAt ? await deps.firstReceivedAt(pageKey, input.receivedAt) : input.receivedAt;
  const page = { workspaceId, segmentId: String(segment.id), segmentName: segment.name?.slice(0, MAX_NAME_LENGTH), syncTaskId, pageNumber: syncInfo.page_number, totalPages: syncInfo.total_pages };
  const bodies = syncPageMessages({ ...page, receivedAt: input.receivedAt, versionAt, changes }, deps.publisher.fits);
  const count = (op: 'add' | 'remove') => changes.filter((change) => change.op === op).length;
  const { segmentId, pageNumber, totalPages } = page;
  const queued: Queued = { outcome: 'queued', action: 'segment.users.sync', segmentId, pageNumber, totalPages, adds: count('add'), removes: count('remove'), invalidIds: adds.invalid + removes.invalid, messages: bodies?.length ?? 0 };
  return publish(deps, bodies, queued);
};

const queueDrain = async (deps: HeapWebhookDeps, verified: Verified, input: HeapWebhookInput, raw: unknown): Promise<Step> => {
  const data = heapDrainDataSchema.safeParse(raw);
  if (!data.success) return { outcome: 'rejected', reason: `Invalid segment.users.drain body: data.${issues(data.error)}` };
  const workspaceId = verified.workspace.workspaceId;
  const segmentId = String(data.data.segment.id);
  const key = drainKey(workspaceId, segmentId, verified.signedTs, input.rawBody);
  const versionAt = deps.firstReceivedAt ? await deps.firstReceivedAt(key, input.receivedAt) : input.receivedAt;
  const body = drainMessage({ key, workspaceId, segmentId, segmentName: data.data.segment.name, versionAt, receivedAt: input.receivedAt });
  return publish(deps, [body], { outcome: 'queued', action: 'segment.users.drain', segmentId, messages: 1 });
};

/**
 * Handles one verified Heap webhook request; resolves once its work is durably queued, or says why
 * not. A verified body that is not a shape the hub knows is `rejected`: kept with its reason and
 * answered as handled.
 */
export const receiveHeapWebhook = async (deps: HeapWebhookDeps, verified: Verified, input: HeapWebhookInput): Promise<HeapWebhookResult> => {
  const envelope = parseEnvelope(input.rawBody);
  if (!envelope.ok) return rejectDelivery(deps, verified.workspace, input, envelope.reason);
  const body = envelope.value;
  if (!idTokenAccepted(verified.workspace, body)) return { outcome: 'refused', reason: 'id-token' };
  const outcome: Step | Extract<HeapWebhookResult, { outcome: 'ignored' }> =
    body.action_type === 'segment.users.sync'
      ? await queueSyncPage(deps, verified, input, body.data)
      : body.action_type === 'segment.users.drain'
        ? await queueDrain(deps, verified, input, body.data)
        : { outcome: 'ignored', action: body.action_type };
  if (outcome.outcome === 'rejected') return rejectDelivery(deps, verified.workspace, input, outcome.reason);
  if (outcome.outcome === 'queued' || outcome.outcome === 'ignored') await recordIdToken(deps, verified.workspace, body.id_token);
  return outcome;
};
