/**
 * `GET /v1/destinations/webhook/deliveries`: the change webhook's POSTs of a workspace, newest
 * first, one page, in the read APIs' snake_case with a signed cursor (docs/events.md).
 */
import type { WebhookDelivery } from '../schemas/change-webhook';
import type { WorkspaceRecord } from '../schemas/workspace';
import { INVALID_CURSOR, invalid, ok, type Outcome } from './outcomes';
import type { CursorCodec, WebhookDeliveryStore } from './ports';

/** One POST as the API shows it. */
export const webhookDeliveryView = (delivery: WebhookDelivery) => ({
  delivery_id: delivery.deliveryId,
  started_at: delivery.startedAt,
  finished_at: delivery.finishedAt,
  outcome: delivery.outcome,
  changes: delivery.changes,
  first_event_id: delivery.firstEventId,
  last_event_id: delivery.lastEventId,
  attempts: delivery.attempts.map(({ at, status, error }) => ({ at, status, ...(error ? { error } : {}) })),
});

export type WebhookDeliveryView = ReturnType<typeof webhookDeliveryView>;

/** The page of webhook deliveries the query asks for; the cursor is signed for the workspace and this route. */
export const listWebhookDeliveries = async (
  deps: { readonly webhookDeliveries: WebhookDeliveryStore; readonly cursors: CursorCodec },
  workspace: WorkspaceRecord,
  query: { readonly limit: number; readonly cursor?: string },
): Promise<Outcome<{ deliveries: WebhookDeliveryView[]; next_cursor: string | null }>> => {
  const route = 'webhook-deliveries';
  const cursor = await deps.cursors.decode(workspace, route, query.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  const page = await deps.webhookDeliveries.list(workspace.workspaceId, { limit: query.limit, ...(cursor.key ? { startKey: cursor.key } : {}) });
  return ok({ deliveries: page.deliveries.map(webhookDeliveryView), next_cursor: (await deps.cursors.encode(workspace, route, page.nextKey)) ?? null });
};
