/**
 * Enqueueing of one request's work. A request becomes one or more messages; they are packed into
 * `SendMessageBatch` calls (≤10 entries and ≤256 KiB per call, SQS limits) and sent with retries. If
 * any message cannot be queued the caller answers 503 + Retry-After and the sender retries the whole
 * request; every message is idempotent and version-guarded, so the retry converges. SQS has no
 * multi-call transaction: when a later call fails, the earlier messages are already queued, and the
 * 503 says so (QueueUnavailableError) instead of claiming that nothing was accepted.
 */
import { MAX_MESSAGE_BYTES } from './definitions/queues';
import { PayloadTooLargeError, QueueUnavailableError } from './errors';

/** Port: sends one SendMessageBatch-sized group; resolves with the ids of entries that failed. */
export interface QueueSender {
  sendBatch(queueUrl: string, bodies: readonly string[]): Promise<{ failed: number[] }>;
}

export const MAX_BATCH_ENTRIES = 10;

/** Groups message bodies into batches that respect SQS's entry and payload limits. */
export const planBatches = (bodies: readonly string[]): string[][] => {
  const batches: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const body of bodies) {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_MESSAGE_BYTES) throw new PayloadTooLargeError(MAX_MESSAGE_BYTES);
    if (current.length === MAX_BATCH_ENTRIES || currentBytes + bytes > MAX_MESSAGE_BYTES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(body);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/**
 * SQS refuses message bodies containing characters outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
 * #x10000-#x10FFFF (InvalidMessageContents), and would do so on every retry. JSON.stringify already
 * escapes control characters and lone surrogates; U+FFFE and U+FFFF it leaves raw. Characters above
 * U+FFFF are escaped too (as their surrogate pair): AWS accepts them, but the local emulator
 * (fauxqs 1.9) refuses them. In JSON text all of these can only occur inside strings, so the
 * escaped body parses to the same value.
 */
export const sqsSafeJson = (body: string): string =>
  body.replace(/[\ufffe\uffff]|[\ud800-\udbff][\udc00-\udfff]/g, (chars) =>
    [...Array(chars.length).keys()].map((index) => `\\u${chars.charCodeAt(index).toString(16)}`).join(''),
  );

/** What sending a request's messages came to: all sent, or how many SQS confirmed before it gave up. */
export type SendOutcome = { readonly ok: true; readonly messages: number } | { readonly ok: false; readonly queued: number; readonly total: number; readonly cause: unknown };

/** Sends one batch with retries; resolves with the entries still unsent and the last error. */
const sendBatchWithRetries = async (sender: QueueSender, queueUrl: string, batch: string[], attempts: number) => {
  let pending = batch;
  let cause: unknown = 'SQS reported the entries as failed';
  for (let attempt = 1; pending.length > 0 && attempt <= attempts; attempt += 1) {
    try {
      const { failed } = await sender.sendBatch(queueUrl, pending);
      pending = failed.map((index) => pending[index]).filter((body): body is string => body !== undefined);
    } catch (error) {
      cause = error;
    }
  }
  return { unsent: pending.length, cause };
};

/**
 * Sends every body, batch after batch, and says whether all of them went. Entries that SQS reports
 * as failed are retried (up to `attempts` rounds); a thrown SDK error counts as every entry failing.
 * When a batch gives up, the outcome counts the messages SQS confirmed before.
 */
export const sendAll = async (sender: QueueSender, queueUrl: string, bodies: readonly string[], attempts = 3): Promise<SendOutcome> => {
  let queued = 0;
  for (const batch of planBatches(bodies.map(sqsSafeJson))) {
    const { unsent, cause } = await sendBatchWithRetries(sender, queueUrl, batch, attempts);
    queued += batch.length - unsent;
    if (unsent > 0) return { ok: false, queued, total: bodies.length, cause };
  }
  return { ok: true, messages: bodies.length };
};

/** Sends every body or throws `QueueUnavailableError`, which counts the messages SQS confirmed before it gave up. */
export const enqueueAll = async (sender: QueueSender, queueUrl: string, bodies: readonly string[], attempts = 3): Promise<void> => {
  const outcome = await sendAll(sender, queueUrl, bodies, attempts);
  if (!outcome.ok) throw new QueueUnavailableError(5, outcome);
};

/** Whether a body fits one SQS message as it will be sent (escaped, see sqsSafeJson). */
export const sqsMessageFits = (body: string): boolean => Buffer.byteLength(sqsSafeJson(body), 'utf8') <= MAX_MESSAGE_BYTES;

/**
 * Splits items into message-sized chunks: each chunk's serialised message stays under the SQS
 * limit. `toBody` builds the message for a chunk; chunks halve until they fit.
 */
export const chunkForMessages = <T>(items: readonly T[], toBody: (chunk: readonly T[]) => string): string[] => {
  if (items.length === 0) return [];
  // Sized as it will be sent (escaped, see sqsSafeJson).
  const body = sqsSafeJson(toBody(items));
  if (Buffer.byteLength(body, 'utf8') <= MAX_MESSAGE_BYTES) return [body];
  if (items.length === 1) throw new PayloadTooLargeError(MAX_MESSAGE_BYTES);
  const middle = Math.ceil(items.length / 2);
  return [...chunkForMessages(items.slice(0, middle), toBody), ...chunkForMessages(items.slice(middle), toBody)];
};
