/**
 * The Heap segment-sync webhook: authenticate the request (Heap-Hash over the raw body, freshness,
 * pinned id_token), then turn a `segment.users.sync` page or a `segment.users.drain` into heapSync
 * messages, queued whole or not at all. The segment worker applies them; nothing is written to the
 * membership tables on the request path, so a 200 is cheap and a 503 leaves nothing half-done.
 */
import { createHash } from 'node:crypto';
import { BadRequestError, ForbiddenError } from '../shared/errors';
import { chunkForMessages, enqueueAll, type QueueSender } from '../shared/enqueue';
import { heapDrainDataSchema, heapEnvelopeSchema, heapSyncDataSchema, type HeapEnvelope, type HeapSyncMessage } from '../schemas/heap';
import type { WorkspaceRecord } from '../schemas/workspace';
import { checkHeapHashHeader, digestMatches, type FreshnessWindow } from './heap-signature';
import { changeVersion, collapseChanges, type MembershipChange } from './membership';
import type { SecretBox, WorkspaceStore } from './ports';
import { heapWebhookSecret } from './workspaces';
import { partitionVisitorIds } from './visitor-ids';

export type RefusalReason = 'malformed' | 'stale' | 'future' | 'mismatch' | 'unknown-workspace' | 'id-token';

/**
 * 403 for every authentication failure, with one message: the caller learns nothing about which
 * check failed. `reason` is for the hub's own logs.
 */
export class HeapWebhookRefused extends ForbiddenError {
  constructor(readonly reason: RefusalReason) {
    super('Forbidden');
  }
}

/** A missing or malformed `Heap-Hash` header: 400, as in Heap's reference receiver (`middleware/validateHeapHeader.ts`). */
export class HeapHeaderInvalid extends BadRequestError {}

/** A verified delivery the hub cannot use, kept for operators (`GET /v1/heap/rejects`). */
export interface HeapReject {
  readonly workspaceId: string;
  readonly receivedAt: number;
  readonly reason: string;
  readonly rawBody: string;
}

export interface HeapWebhookDeps {
  /** Keeps a rejected delivery with its reason. */
  readonly recordReject: (reject: HeapReject) => Promise<void>;
  readonly workspaces: WorkspaceStore;
  /** The workspace's plaintext webhook secret (cached decryption, see `cachedHeapSecrets`). */
  readonly secretOf: (workspace: WorkspaceRecord) => Promise<string>;
  readonly sender: QueueSender;
  readonly queueUrl: string;
  readonly window: FreshnessWindow;
  readonly now: () => number;
  /**
   * When this sync page (`<workspace>#<sync task>#<page>`) or drain (`drainKey`) was first received, recording `receivedAt`
   * if it is the first time. A page Heap re-sends keeps its first version: otherwise a re-send
   * arriving after a newer page would carry a newer version, and since both copies share one
   * idempotency key, whichever copy the queue delivered first would decide the outcome.
   */
  readonly firstReceivedAt?: (pageKey: string, receivedAt: number) => Promise<number>;
}

export interface HeapWebhookInput {
  readonly workspaceId: string | undefined;
  readonly hashHeader: string | undefined;
  readonly rawBody: string;
  /** When the request reached the hub (epoch ms): the version of the changes it carries. */
  readonly receivedAt: number;
}

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
  | { readonly outcome: 'rejected'; readonly reason: string };

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Page numbers are zero-padded in versions so that page 10 sorts after page 9. */
const pad = (page: number) => page.toString().padStart(6, '0');
/** Longer segment names are cut rather than refused: a 400 would make Heap retry the page forever. */
const MAX_NAME_LENGTH = 1024;
/** Placeholder wide enough for any real part number, so re-numbering never grows a message. */
const PART_PLACEHOLDER = 99_999;

/** Where the webhook's work lands; also the idempotency key of each message. */
export const pageDedupeKey = (workspaceId: string, syncTaskId: string, pageNumber: number, part: number): string =>
  `heap#${workspaceId}#${syncTaskId}#${pageNumber}#${part}`;

/**
 * Builds the messages of one sync page. Changes are collapsed first (a visitor in both `add` and
 * `remove` is removed), so a visitor appears in exactly one message of the page: two messages of
 * the same version could otherwise see each other's write as "same version, stale".
 */
export const syncPageMessages = (input: {
  workspaceId: string;
  segmentId: string;
  segmentName: string | undefined;
  syncTaskId: string;
  pageNumber: number;
  totalPages: number;
  receivedAt: number;
  /** Time the version is built from: the page's first receive time (defaults to `receivedAt`). */
  versionAt?: number;
  changes: readonly MembershipChange[];
}): string[] => {
  const base: Omit<HeapSyncMessage, 'add' | 'remove' | 'part' | 'parts' | 'dedupeKey'> = {
    type: 'sync',
    workspaceId: input.workspaceId,
    segmentId: input.segmentId,
    ...(input.segmentName !== undefined ? { segmentName: input.segmentName } : {}),
    version: changeVersion(input.versionAt ?? input.receivedAt, `${input.syncTaskId}#${pad(input.pageNumber)}`),
    receivedAt: new Date(input.receivedAt).toISOString(),
    syncTaskId: input.syncTaskId,
    pageNumber: input.pageNumber,
    totalPages: input.totalPages,
    round: 0,
  };
  const toBody = (chunk: readonly MembershipChange[]): string => {
    const message: HeapSyncMessage = {
      dedupeKey: pageDedupeKey(input.workspaceId, input.syncTaskId, input.pageNumber, PART_PLACEHOLDER),
      ...base,
      part: PART_PLACEHOLDER,
      parts: PART_PLACEHOLDER,
      add: chunk.filter((change) => change.op === 'add').map((change) => change.memberId),
      remove: chunk.filter((change) => change.op === 'remove').map((change) => change.memberId),
    };
    return JSON.stringify(message);
  };
  // An empty page is still queued: it records the sync run's progress and the segment's name.
  const bodies = input.changes.length === 0 ? [toBody([])] : chunkForMessages(input.changes, toBody);
  // The split is deterministic (same page → same parts), so a re-sent page maps to the same keys.
  return bodies.map((body, part) => {
    const message = JSON.parse(body) as HeapSyncMessage;
    return JSON.stringify({
      ...message,
      dedupeKey: pageDedupeKey(input.workspaceId, input.syncTaskId, input.pageNumber, part),
      part,
      parts: bodies.length,
    });
  });
};

const issues = (error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string =>
  error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`).join('; ');

/** A verified request: its workspace and the signed timestamp exactly as sent (a drain's identity). */
interface Verified {
  readonly workspace: WorkspaceRecord;
  readonly signedTs: string;
}

/**
 * Authenticates a Heap webhook. A missing or malformed `Heap-Hash` is a 400, as Heap's reference
 * receiver answers (`HeapHeaderInvalid`); a stale or future timestamp, an unknown workspace or a
 * wrong HMAC is a 403 that says nothing more (`HeapWebhookRefused`).
 */
export const authenticateHeapWebhook = async (deps: HeapWebhookDeps, input: HeapWebhookInput): Promise<Verified> => {
  // Cheap checks first: a malformed or stale header needs no database read and no decryption.
  if (input.hashHeader === undefined || input.hashHeader === '') throw new HeapHeaderInvalid('Expected "heap-hash" in the header');
  const header = checkHeapHashHeader(input.hashHeader, deps.now(), deps.window);
  if (!header.ok && header.reason === 'malformed') throw new HeapHeaderInvalid('Improperly formatted "heap-hash" header');
  if (!header.ok) throw new HeapWebhookRefused(header.reason);
  if (!input.workspaceId || !WORKSPACE_ID.test(input.workspaceId)) throw new HeapWebhookRefused('unknown-workspace');
  const workspace = await deps.workspaces.get(input.workspaceId);
  if (!workspace) throw new HeapWebhookRefused('unknown-workspace');
  if (!digestMatches(header.hash, await deps.secretOf(workspace), input.rawBody)) throw new HeapWebhookRefused('mismatch');
  return { workspace, signedTs: header.hash.ts };
};

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The verified body's envelope, or why it is not one Heap could mean. */
const parseEnvelope = (rawBody: string): Parsed<HeapEnvelope> => {
  let json: unknown;
  try {
    json = JSON.parse(rawBody) as unknown;
  } catch {
    return { ok: false, reason: 'Body is not valid JSON' };
  }
  const envelope = heapEnvelopeSchema.safeParse(json);
  return envelope.success ? { ok: true, value: envelope.data } : { ok: false, reason: `Invalid webhook body: ${issues(envelope.error)}` };
};

/**
 * A pinned `id_token` must match, except on a drain that carries none: Heap's drain body holds only
 * the segment (`bin/data/drain.json` in heap/heap-api-reference), and its signature already verified.
 */
const checkIdToken = (workspace: WorkspaceRecord, body: HeapEnvelope): void => {
  const pinned = workspace.heapIdTokenPinned;
  if (pinned === undefined) return;
  if (body.id_token === undefined && body.action_type === 'segment.users.drain') return;
  if (body.id_token !== pinned) throw new HeapWebhookRefused('id-token');
};

/** Records a token Heap presented, once per token (only after the body is known good). */
const recordIdToken = async (deps: HeapWebhookDeps, workspace: WorkspaceRecord, idToken: string | undefined) => {
  if (idToken !== undefined && idToken !== '' && !workspace.heapIdTokensSeen.includes(idToken)) {
    await deps.workspaces.recordHeapIdToken(workspace.workspaceId, idToken);
  }
};

/**
 * Handles one Heap webhook request end to end; resolves only once its work is durably queued. A
 * verified body that is not a shape the hub knows is answered 200 and kept with its reason (a 400
 * would make Heap retry the same body forever).
 */
export const receiveHeapWebhook = async (deps: HeapWebhookDeps, input: HeapWebhookInput): Promise<HeapWebhookResult> => {
  const verified = await authenticateHeapWebhook(deps, input);
  const envelope = parseEnvelope(input.rawBody);
  if (!envelope.ok) return rejectDelivery(deps, verified.workspace, input, envelope.reason);
  checkIdToken(verified.workspace, envelope.value);
  const body = envelope.value;
  const outcome =
    body.action_type === 'segment.users.sync'
      ? await queueSyncPage(deps, verified, input, body.data)
      : body.action_type === 'segment.users.drain'
        ? await queueDrain(deps, verified, input, body.data)
        : ({ outcome: 'ignored', action: body.action_type } as const);
  if (outcome.outcome === 'rejected') return rejectDelivery(deps, verified.workspace, input, outcome.reason);
  await recordIdToken(deps, verified.workspace, body.id_token);
  return outcome;
};

/** Keeps a verified delivery the hub cannot use, with its reason, and answers it as handled. */
const rejectDelivery = async (deps: HeapWebhookDeps, workspace: WorkspaceRecord, input: HeapWebhookInput, reason: string): Promise<HeapWebhookResult> => {
  await deps.recordReject({ workspaceId: workspace.workspaceId, receivedAt: input.receivedAt, reason, rawBody: input.rawBody });
  return { outcome: 'rejected', reason };
};

const queueSyncPage = async (deps: HeapWebhookDeps, verified: Verified, input: HeapWebhookInput, raw: unknown): Promise<HeapWebhookResult> => {
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
  const bodies = syncPageMessages({
    workspaceId,
    segmentId: String(segment.id),
    segmentName: segment.name?.slice(0, MAX_NAME_LENGTH),
    syncTaskId,
    pageNumber: syncInfo.page_number,
    totalPages: syncInfo.total_pages,
    receivedAt: input.receivedAt,
    versionAt,
    changes,
  });
  await enqueueAll(deps.sender, deps.queueUrl, bodies);
  const count = (op: 'add' | 'remove') => changes.filter((change) => change.op === op).length;
  return {
    outcome: 'queued',
    action: 'segment.users.sync',
    segmentId: String(segment.id),
    pageNumber: syncInfo.page_number,
    totalPages: syncInfo.total_pages,
    adds: count('add'),
    removes: count('remove'),
    invalidIds: adds.invalid + removes.invalid,
    messages: bodies.length,
  };
};

/**
 * Identity of a drain delivery: its signed timestamp and its body. Heap's retry of one delivery
 * (same `Heap-Hash` timestamp, same bytes) is the same drain and keeps the version of its first
 * receive; a drain signed at a new timestamp is a new drain.
 */
export const drainKey = (workspaceId: string, segmentId: string, signedTs: string, rawBody: string): string =>
  `${workspaceId}#drain#${segmentId}#${signedTs}#${createHash('sha256').update(rawBody, 'utf8').digest('hex').slice(0, 32)}`;

const queueDrain = async (deps: HeapWebhookDeps, verified: Verified, input: HeapWebhookInput, raw: unknown): Promise<HeapWebhookResult> => {
  const data = heapDrainDataSchema.safeParse(raw);
  if (!data.success) return { outcome: 'rejected', reason: `Invalid segment.users.drain body: data.${issues(data.error)}` };
  const workspaceId = verified.workspace.workspaceId;
  const segmentId = String(data.data.segment.id);
  const key = drainKey(workspaceId, segmentId, verified.signedTs, input.rawBody);
  const versionAt = deps.firstReceivedAt ? await deps.firstReceivedAt(key, input.receivedAt) : input.receivedAt;
  const message: HeapSyncMessage = {
    dedupeKey: `heap#${key}`,
    type: 'drain',
    workspaceId,
    segmentId,
    ...(data.data.segment.name !== undefined ? { segmentName: data.data.segment.name.slice(0, MAX_NAME_LENGTH) } : {}),
    version: changeVersion(versionAt, 'drain'),
    receivedAt: new Date(input.receivedAt).toISOString(),
    part: 0,
    parts: 1,
    add: [],
    remove: [],
    round: 0,
  };
  await enqueueAll(deps.sender, deps.queueUrl, [JSON.stringify(message)]);
  return { outcome: 'queued', action: 'segment.users.drain', segmentId, messages: 1 };
};

/**
 * Decrypts webhook secrets at most once per `ttlMs` per ciphertext in a warm container (KMS calls
 * cost latency and money). Keyed by ciphertext, so a rotated secret is used as soon as the
 * workspace record shows the new ciphertext.
 */
export const cachedHeapSecrets = (secrets: SecretBox, ttlMs = 300_000, now: () => number = Date.now, maxEntries = 256) => {
  const cache = new Map<string, { secret: Promise<string>; expires: number }>();
  return (workspace: WorkspaceRecord): Promise<string> => {
    const key = workspace.heapWebhookSecretCiphertext;
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.secret;
    if (cache.size >= maxEntries) cache.clear();
    const secret = heapWebhookSecret(secrets, workspace);
    cache.set(key, { secret, expires: now() + ttlMs });
    // A failed decryption is not cached.
    secret.catch(() => cache.delete(key));
    return secret;
  };
};
