/**
 * The change webhook's sending side (docs/events.md, "Signed webhook"): after the stream consumer
 * records a batch's flips, the changes of workspaces with an enabled webhook go to the FIFO queue.
 *
 * - Group: a hash bucket of (workspace, set, member) among `WEBHOOK_GROUPS` per workspace, so one
 *   member's changes always share a group (received in order) while a workspace's changes spread
 *   over several groups (delivered in parallel).
 * - Message: up to `MAX_CHANGES_PER_MESSAGE` changes of one group, in recorded order; its
 *   deduplication id is a hash of the event ids it carries, so a re-sent stream batch is dropped by
 *   SQS within its 5-minute window (later, receivers drop duplicates by `event_id`).
 */
import { createHash } from 'node:crypto';
import type { WorkspaceRecord } from '../schemas/workspace';
import { recordAndPublish, type ChangeDeps } from './change-events';
import type { ChangeWebhookMessage, ChangeWebhookQueue, Clock, MembershipChangedDetail, WorkspaceStore } from './ports';

/** Message groups per workspace. */
export const WEBHOOK_GROUPS = 16;
/** Changes per queue message: 100 details of at most ~1.5 KB each stay far under SQS's 256 KiB. */
export const MAX_CHANGES_PER_MESSAGE = 100;
/** How long the consumer trusts a workspace's webhook settings before reading them again. */
export const TARGET_CACHE_MS = 30_000;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The member a detail is about, whatever id kind it carries. */
const memberOf = (detail: MembershipChangedDetail): string => detail.member.braze_id ?? detail.member.visitor_id ?? detail.member.external_id ?? '';

/** The message group of a change: the same for every change of one member in one set. */
export const groupOf = (detail: MembershipChangedDetail, groups = WEBHOOK_GROUPS): string => {
  const bucket = Number.parseInt(sha256(JSON.stringify([detail.workspace_id, detail.set_kind, detail.set_id, memberOf(detail)])).slice(0, 8), 16) % groups;
  return `${detail.workspace_id}:${bucket}`;
};

/** SQS deduplication id (≤ 128 characters): the same for the same changes. */
export const deduplicationIdOf = (events: readonly MembershipChangedDetail[]): string => sha256(events.map((event) => event.event_id).join(','));

/** The queue messages for a list of changes of one workspace: grouped, each group's changes in order, chunked. */
export const webhookMessages = (workspaceId: string, details: readonly MembershipChangedDetail[], maxChanges = MAX_CHANGES_PER_MESSAGE): ChangeWebhookMessage[] => {
  const groups = new Map<string, MembershipChangedDetail[]>();
  for (const detail of details) {
    const group = groupOf(detail);
    const list = groups.get(group) ?? [];
    list.push(detail);
    groups.set(group, list);
  }
  const messages: ChangeWebhookMessage[] = [];
  for (const [groupId, events] of groups) {
    for (let i = 0; i < events.length; i += maxChanges) {
      const chunk = events.slice(i, i + maxChanges);
      messages.push({ groupId, deduplicationId: deduplicationIdOf(chunk), body: { workspaceId, events: chunk } });
    }
  }
  return messages;
};

/** Which workspaces have an enabled webhook, read at most once per `TARGET_CACHE_MS` per workspace (through the Clock). */
export const webhookTargets = (workspaces: Pick<WorkspaceStore, 'get'>, clock: Clock, ttlMs = TARGET_CACHE_MS) => {
  const cache = new Map<string, { readonly enabled: boolean; readonly at: number }>();
  const enabled = (record: WorkspaceRecord | undefined): boolean => record?.changeWebhook?.enabled === true;
  return async (workspaceId: string): Promise<boolean> => {
    const hit = cache.get(workspaceId);
    if (hit && clock.now() - hit.at < ttlMs) return hit.enabled;
    const value = enabled(await workspaces.get(workspaceId));
    cache.set(workspaceId, { enabled: value, at: clock.now() });
    return value;
  };
};

export interface WebhookQueueDeps {
  readonly queue: ChangeWebhookQueue;
  /** True when the workspace has an enabled webhook (`webhookTargets`). */
  readonly hasWebhook: (workspaceId: string) => Promise<boolean>;
}

/** Queues the recorded flips of workspaces with a webhook; returns how many changes were queued. */
export const queueForWebhooks = async (deps: WebhookQueueDeps, published: readonly MembershipChangedDetail[]): Promise<number> => {
  const byWorkspace = new Map<string, MembershipChangedDetail[]>();
  for (const detail of published) {
    const list = byWorkspace.get(detail.workspace_id) ?? [];
    list.push(detail);
    byWorkspace.set(detail.workspace_id, list);
  }
  const messages: ChangeWebhookMessage[] = [];
  let queued = 0;
  for (const [workspaceId, details] of byWorkspace) {
    if (!(await deps.hasWebhook(workspaceId))) continue;
    messages.push(...webhookMessages(workspaceId, details));
    queued += details.length;
  }
  if (messages.length > 0) await deps.queue.send(messages);
  return queued;
};

/**
 * The stream consumer's one step with the webhook: records and publishes the batch's flips
 * (`recordAndPublish`), then queues them for the workspaces' webhooks. Any failure throws, so the
 * stream batch is retried whole (history overwrites itself, events and messages go out again).
 */
export const recordPublishAndQueue = async (deps: ChangeDeps & { readonly webhooks: WebhookQueueDeps }, changes: Parameters<typeof recordAndPublish>[1]) => {
  const { flips, details } = await recordAndPublish(deps, changes);
  const queued = details.length > 0 ? await queueForWebhooks(deps.webhooks, details) : 0;
  return { flips, queued };
};
