/**
 * The Heap segment-sync webhook: authenticate the request (Heap-Hash over the raw body, freshness,
 * pinned id_token), then turn a `segment.users.sync` page or a `segment.users.drain` into heapSync
 * messages, queued whole or not at all. The segment worker applies them; nothing is written to the
 * membership tables on the request path, so a 200 is cheap and a 503 leaves nothing half-done.
 */
import { BadRequestError, ForbiddenError } from '../shared/errors';
import { chunkForMessages, enqueueAll, type QueueSender } from '../shared/enqueue';
import { heapDrainDataSchema, heapEnvelopeSchema, heapSyncDataSchema, type HeapSyncMessage } from '../schemas/heap';
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

export interface HeapWebhookDeps {
  readonly workspaces: WorkspaceStore;
  /** The workspace's plaintext webhook secret (cached decryption, see `cachedHeapSecrets`). */
  readonly secretOf: (workspace: WorkspaceRecord) => Promise<string>;
  readonly sender: QueueSender;
  readonly queueUrl: string;
  readonly window: FreshnessWindow;
  readonly now: () => number;
  /**
   * When this sync page (`<workspace>#<sync task>#<page>`) was first received, recording `receivedAt`
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
  | { readonly outcome: 'ignored'; readonly action: string };

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

const parseJson = (rawBody: string): unknown => {
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    throw new BadRequestError('Body is not valid JSON');
  }
};

const issues = (error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string[] =>
  error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);

/** Authenticates a Heap webhook and returns the verified workspace (or throws `HeapWebhookRefused`). */
export const authenticateHeapWebhook = async (deps: HeapWebhookDeps, input: HeapWebhookInput): Promise<WorkspaceRecord> => {
  // Cheap checks first: a malformed or stale header needs no database read and no decryption.
  const header = checkHeapHashHeader(input.hashHeader, deps.now(), deps.window);
  if (!header.ok) throw new HeapWebhookRefused(header.reason);
  if (!input.workspaceId || !WORKSPACE_ID.test(input.workspaceId)) throw new HeapWebhookRefused('unknown-workspace');
  const workspace = await deps.workspaces.get(input.workspaceId);
  if (!workspace) throw new HeapWebhookRefused('unknown-workspace');
  if (!digestMatches(header.hash, await deps.secretOf(workspace), input.rawBody)) throw new HeapWebhookRefused('mismatch');
  return workspace;
};

/** Handles one Heap webhook request end to end; resolves only once its work is durably queued. */
export const receiveHeapWebhook = async (deps: HeapWebhookDeps, input: HeapWebhookInput): Promise<HeapWebhookResult> => {
  const workspace = await authenticateHeapWebhook(deps, input);
  // Only a verified body is parsed.
  const envelope = heapEnvelopeSchema.safeParse(parseJson(input.rawBody));
  if (!envelope.success) throw new BadRequestError('Invalid webhook body', issues(envelope.error));
  const body = envelope.data;
  const idToken = body.id_token;
  if (workspace.heapIdTokenPinned !== undefined && idToken !== workspace.heapIdTokenPinned) throw new HeapWebhookRefused('id-token');
  // Recorded only once the body is known good (a refused request stores nothing).
  const recordIdToken = async () => {
    if (idToken !== undefined && idToken !== '' && !workspace.heapIdTokensSeen.includes(idToken)) {
      await deps.workspaces.recordHeapIdToken(workspace.workspaceId, idToken);
    }
  };

  if (body.action_type === 'segment.users.sync') {
    const data = heapSyncDataSchema.safeParse(body.data);
    if (!data.success) throw new BadRequestError('Invalid segment.users.sync body', issues(data.error).map((issue) => `data.${issue}`));
    const { segment, sync_info: syncInfo } = data.data;
    await recordIdToken();
    const adds = partitionVisitorIds(data.data.add.map((user) => user.id));
    const removes = partitionVisitorIds(data.data.remove.map((user) => user.id));
    const { changes } = collapseChanges([
      ...adds.valid.map((memberId) => ({ memberId, op: 'add' as const })),
      ...removes.valid.map((memberId) => ({ memberId, op: 'remove' as const })),
    ]);
    const syncTaskId = String(syncInfo.sync_task_id);
    const versionAt = deps.firstReceivedAt
      ? await deps.firstReceivedAt(`${workspace.workspaceId}#${syncTaskId}#${syncInfo.page_number}`, input.receivedAt)
      : input.receivedAt;
    const bodies = syncPageMessages({
      workspaceId: workspace.workspaceId,
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
    return {
      outcome: 'queued',
      action: 'segment.users.sync',
      segmentId: String(segment.id),
      pageNumber: syncInfo.page_number,
      totalPages: syncInfo.total_pages,
      adds: changes.filter((change) => change.op === 'add').length,
      removes: changes.filter((change) => change.op === 'remove').length,
      invalidIds: adds.invalid + removes.invalid,
      messages: bodies.length,
    };
  }

  if (body.action_type === 'segment.users.drain') {
    const data = heapDrainDataSchema.safeParse(body.data);
    if (!data.success) throw new BadRequestError('Invalid segment.users.drain body', issues(data.error).map((issue) => `data.${issue}`));
    const segmentId = String(data.data.segment.id);
    await recordIdToken();
    const message: HeapSyncMessage = {
      // A drain has no task id: the receive time identifies it (a re-sent drain drains again, harmlessly).
      dedupeKey: `heap#${workspace.workspaceId}#drain#${segmentId}#${input.receivedAt}`,
      type: 'drain',
      workspaceId: workspace.workspaceId,
      segmentId,
      ...(data.data.segment.name !== undefined ? { segmentName: data.data.segment.name.slice(0, MAX_NAME_LENGTH) } : {}),
      version: changeVersion(input.receivedAt, 'drain'),
      receivedAt: new Date(input.receivedAt).toISOString(),
      part: 0,
      parts: 1,
      add: [],
      remove: [],
      round: 0,
    };
    await enqueueAll(deps.sender, deps.queueUrl, [JSON.stringify(message)]);
    return { outcome: 'queued', action: 'segment.users.drain', segmentId, messages: 1 };
  }

  await recordIdToken();
  return { outcome: 'ignored', action: body.action_type };
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
