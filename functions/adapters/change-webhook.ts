/**
 * Adapters of the change webhook (docs/events.md):
 * - `sqsChangeWebhookQueue`: SendMessageBatch to the FIFO queue (10 entries per call, in order, so
 *   each group keeps its order), with `MessageGroupId` and `MessageDeduplicationId`; an entry SQS
 *   reports failed throws (the stream batch is retried whole);
 * - `fetchWebhookPoster`: one POST with a timeout, redirects not followed;
 * - `dynamoWebhookDeliveries`: one item per POST at `<ws>#WHK` / `<deliveryId>` (deliveries table),
 *   kept 90 days (TTL `expiresAt`), newest first.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChangeWebhookQueue, WebhookDeliveryStore, WebhookPoster } from '../domain/ports';
import { webhookDeliverySchema, type WebhookDelivery } from '../schemas/change-webhook';
import { MAX_MESSAGE_BYTES } from '../shared/definitions/queues';
import { decodeAll } from './dynamo/items';
import { webhookDeliveriesPk } from './dynamo/keys';
import { queryPage } from './dynamo/query';

const SQS_BATCH = 10;
/** Reports are kept this long after the POST (TTL `expiresAt`). */
export const KEEP_WEBHOOK_REPORT_SECONDS = 90 * 24 * 3600;
/** Time a receiver has to answer one POST. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export const sqsChangeWebhookQueue = (sqs: Pick<SQSClient, 'send'>, queueUrl: string): ChangeWebhookQueue => ({
  async send(messages) {
    for (let i = 0; i < messages.length; i += SQS_BATCH) {
      const entries = messages.slice(i, i + SQS_BATCH).map((message, index) => {
        const body = JSON.stringify(message.body);
        if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) throw new Error(`change webhook message of ${Buffer.byteLength(body)} bytes is over the SQS limit`);
        return { Id: String(index), MessageBody: body, MessageGroupId: message.groupId, MessageDeduplicationId: message.deduplicationId };
      });
      const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      if ((result.Failed ?? []).length > 0) throw new Error(`change webhook queue refused ${result.Failed?.length} of ${entries.length} messages`);
    }
  },
});

/** POSTs with the global fetch; a timeout rejects with a `TimeoutError`. */
export const fetchWebhookPoster = (timeoutMs = WEBHOOK_TIMEOUT_MS): WebhookPoster => ({
  async post(url, body, headers) {
    const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    // The body is not kept (it may echo anything); reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    const retryAfter = response.headers.get('retry-after');
    return { status: response.status, ...(retryAfter !== null ? { retryAfter } : {}) };
  },
});

const expiresAt = (delivery: WebhookDelivery): number => {
  const finished = Date.parse(delivery.finishedAt);
  return Math.floor((Number.isFinite(finished) ? finished : 0) / 1000) + KEEP_WEBHOOK_REPORT_SECONDS;
};

export const dynamoWebhookDeliveries = (db: DynamoDBDocumentClient, table: string): WebhookDeliveryStore => ({
  async put(workspaceId, delivery) {
    await db.send(new PutCommand({ TableName: table, Item: { pk: webhookDeliveriesPk(workspaceId), sk: delivery.deliveryId, ...delivery, expiresAt: expiresAt(delivery) } }));
  },
  async list(workspaceId, options) {
    const input = { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': webhookDeliveriesPk(workspaceId) }, ScanIndexForward: false };
    const page = await queryPage(db, input, options.limit, options.startKey);
    return { deliveries: decodeAll(webhookDeliverySchema, page.items), ...(page.nextKey ? { nextKey: page.nextKey } : {}) };
  },
});
