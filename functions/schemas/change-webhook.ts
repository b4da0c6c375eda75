/**
 * Shapes of the change webhook (docs/events.md): the FIFO queue's message (the changes of one
 * workspace in one message group, each the `audience.membership.changed` detail), and a stored
 * delivery report (deliveries table, `<ws>#WHK`), decoded with zod where they are read back.
 */
import * as z from 'zod/mini';

/** One change as the webhook carries it: the same detail as the EventBridge event (JSON Schema in docs/events.md). */
export const changeDetailSchema = z.object({
  event_id: z.string(),
  workspace_id: z.string(),
  set_kind: z.enum(['cohort', 'segment']),
  set_id: z.string(),
  member: z.object({ braze_id: z.optional(z.string()), external_id: z.optional(z.string()), visitor_id: z.optional(z.string()) }),
  direction: z.enum(['entered', 'exited']),
  version: z.string(),
  source: z.optional(z.record(z.string(), z.unknown())),
  changed_at: z.string(),
});

/** A change-webhook queue message: up to `MAX_CHANGES_PER_MESSAGE` changes of one workspace, in the order they were recorded. */
export const changeWebhookMessageSchema = z.object({
  workspaceId: z.string(),
  events: z.array(changeDetailSchema).check(z.minLength(1)),
});
export type ChangeWebhookMessageBody = z.infer<typeof changeWebhookMessageSchema>;

export const webhookAttemptSchema = z.object({
  at: z.string(),
  /** The receiver's HTTP status, or null when no answer came (timeout, connection refused). */
  status: z.nullable(z.number()),
  /** What went wrong without a status (never the body or secret). */
  error: z.optional(z.string()),
});
export type WebhookAttempt = z.infer<typeof webhookAttemptSchema>;

/** One POST (with its retries inside one invocation) as the report shows it. */
export const webhookDeliverySchema = z.object({
  deliveryId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** `delivered`: a 2xx; `rejected`: a 4xx other than 408/429 (not retried here); `exhausted`: retryable failures outlasted the tries. */
  outcome: z.enum(['delivered', 'rejected', 'exhausted']),
  changes: z.number(),
  firstEventId: z.string(),
  lastEventId: z.string(),
  attempts: z.array(webhookAttemptSchema),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
