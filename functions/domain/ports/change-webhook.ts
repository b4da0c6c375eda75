/** Ports of the signed change webhook (docs/events.md): its FIFO queue, the HTTP POST, the delivery reports. */
import type { ChangeWebhookMessageBody, WebhookDelivery } from '../../schemas/change-webhook';

/** One FIFO queue message: its group (ordered within), its deduplication id, its body. */
export interface ChangeWebhookMessage {
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly body: ChangeWebhookMessageBody;
}

/**
 * The change-webhook FIFO queue (SQS in AWS and locally). `send` keeps the given order within each
 * group, resolves once every message is queued and throws otherwise (the stream batch is then
 * retried whole: at-least-once).
 */
export interface ChangeWebhookQueue {
  send(messages: readonly ChangeWebhookMessage[]): Promise<void>;
}

/** A receiver's answer; `retryAfter` is its `Retry-After` header, raw. */
export interface WebhookAnswer {
  readonly status: number;
  readonly retryAfter?: string;
}

/** POSTs one body; rejects on a timeout or a connection failure (no answer). Never follows redirects. */
export interface WebhookPoster {
  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<WebhookAnswer>;
}

export interface WebhookDeliveryPage {
  readonly deliveries: WebhookDelivery[];
  readonly nextKey?: Record<string, unknown>;
}

/** The webhook delivery reports of a workspace, newest first; `put` is idempotent per delivery id. */
export interface WebhookDeliveryStore {
  put(workspaceId: string, delivery: WebhookDelivery): Promise<void>;
  list(workspaceId: string, options: { readonly limit: number; readonly startKey?: Record<string, unknown> }): Promise<WebhookDeliveryPage>;
}
