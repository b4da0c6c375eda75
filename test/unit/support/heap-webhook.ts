/**
 * The Heap webhook as its route runs it (handlers/http/heap-webhook.ts): the Heap-Hash middleware,
 * then the domain. Accepted deliveries resolve with the domain's result; a refusal rejects with the
 * status and message Heap is answered, and (for a 403) the reason the hub logs.
 */
import { queuePublisher } from '../../../functions/adapters/queue-publisher';
import { authenticateHeapWebhook } from '../../../functions/domain/heap-webhook-auth';
import { receiveHeapWebhook as receiveVerified, type HeapWebhookDeps, type HeapWebhookResult } from '../../../functions/domain/heap-webhook';
import { heapAuthRefusal, heapWebhookResponse } from '../../../functions/handlers/http/heap-webhook';
import type { QueueSender } from '../../../functions/shared/enqueue';
import type { HttpResponse } from '../../../functions/shared/http';

/** The webhook's dependencies with the queue given as a sender and URL (published through the SQS batching publisher). */
export type HeapTestDeps = Omit<HeapWebhookDeps, 'publisher'> & { readonly sender: QueueSender; readonly queueUrl: string };

export interface HeapTestInput {
  readonly workspaceId: string | undefined;
  readonly hashHeader: string | undefined;
  readonly rawBody: string;
  readonly receivedAt: number;
}

/** The refusal as an error carrying the answered status and message, and the logged reason. */
const refusal = (response: HttpResponse, reason?: string): Error =>
  Object.assign(new Error((response.body as { message: string }).message), { status: response.status, ...(reason ? { reason } : {}) });

export const receiveHeapWebhook = async (deps: HeapTestDeps, input: HeapTestInput): Promise<HeapWebhookResult> => {
  const full: HeapWebhookDeps = { ...deps, publisher: queuePublisher(deps.sender, deps.queueUrl) };
  const auth = await authenticateHeapWebhook(full, input);
  if (!auth.ok) throw refusal(heapAuthRefusal(auth, input.workspaceId), auth.refusal === 'forbidden' ? auth.reason : undefined);
  const result = await receiveVerified(full, auth.verified, input);
  const response = heapWebhookResponse(auth.verified.workspace.workspaceId, result);
  if (response.status >= 400) throw refusal(response, result.outcome === 'refused' ? result.reason : undefined);
  return result;
};
