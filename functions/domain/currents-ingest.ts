/**
 * Turning a Braze Currents POST body into queue messages, with the outcomes Braze's retry behaviour
 * calls for (docs/currents.md; the handler answers them):
 * - an empty body or `{"events": []}` is a credential check: nothing to queue, 2xx;
 * - a body that is not a JSON object with an `events` array is the only `invalid` one (Braze splits
 *   and re-sends; a single event refused again is dropped for good, so never refuse one odd event);
 * - an event that fails the minimal envelope, has a keyed field over its DynamoDB key byte budget
 *   (schemas/key-bytes.ts) or is too big even compressed is kept as a reject with its reason,
 *   queued with the rest, and stored by the worker in the rejects store;
 * - everything else is kept field for field and queued in ≤256 KiB messages.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_MESSAGE_BYTES } from '../shared/definitions/queues';
import { parseJsonObject } from '../shared/json';
import { MAX_EVENT_TIME_SECONDS, MAX_ID_LENGTH, USER_ORPHAN, type CurrentsEvent, type CurrentsMessage, type CurrentsReject } from '../schemas/currents';
import { fitsKey, identifierBytesMessage, identifierFits, keyBytesMessage } from '../schemas/key-bytes';
import type { WorkspaceRecord } from '../schemas/workspace';
import { chunkToFit } from './message-chunks';
import { invalid, ok, type Outcome, type Refusal } from './outcomes';
import type { PublishOutcome, QueuePublisher } from './ports';

/** Characters of a rejected event kept for inspection. */
export const REJECT_RAW_LIMIT = 16_384;
/** An event's share of a message: the message envelope (keys, ids, dedupe hash) needs well under 2 KiB. */
export const EVENT_BYTES_LIMIT = MAX_MESSAGE_BYTES - 2048;

export type ParsedBody = { readonly kind: 'credential-check' } | { readonly kind: 'batch'; readonly items: readonly unknown[] };

const BAD_BODY = 'Body must be a JSON object with an "events" array';

/** Parses the body; `invalid` only when it is not a JSON object with an `events` array. */
export const parseCurrentsBody = (rawBody: string): Outcome<ParsedBody> => {
  if (rawBody.trim() === '') return ok({ kind: 'credential-check' });
  const body = parseJsonObject(rawBody);
  if (!body.ok) return body.problem === 'not-json' ? invalid(BAD_BODY, ['body is not valid JSON']) : invalid(BAD_BODY);
  const events = body.value.events;
  if (!Array.isArray(events)) return invalid(BAD_BODY);
  return ok(events.length === 0 ? { kind: 'credential-check' } : { kind: 'batch', items: events });
};

const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;

const objectOrEmpty = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

/**
 * The fields the worker writes into DynamoDB keys that are over their byte budgets: such an event
 * would fail its write on every delivery and take its whole message to the DLQ. Checked whatever
 * their length in characters (the worker's schemas count code points, not UTF-16 units).
 */
export const keyBytesProblems = (event: Record<string, unknown>): string[] => {
  const user = objectOrEmpty(event.user);
  const survivor = event.event_type === USER_ORPHAN ? objectOrEmpty(event.properties).orphaned_by_id : undefined;
  const checks: [unknown, (value: string) => boolean, string][] = [
    [event.id, (id) => fitsKey('eventId', id), keyBytesMessage('id', 'eventId')],
    [event.event_type, (type) => fitsKey('eventType', type), keyBytesMessage('event_type', 'eventType')],
    [user.user_id, (id) => fitsKey('brazeId', id), keyBytesMessage('user.user_id', 'brazeId')],
    [user.external_user_id, (value) => identifierFits({ kind: 'external_id', value }), identifierBytesMessage('user.external_user_id', 'external_id')],
    [user.device_id, (value) => identifierFits({ kind: 'device_id', value }), identifierBytesMessage('user.device_id', 'device_id')],
    [survivor, (id) => fitsKey('brazeId', id), keyBytesMessage('properties.orphaned_by_id', 'brazeId')],
  ];
  return checks.filter(([value, fits]) => typeof value === 'string' && !fits(value)).map(([, , message]) => message);
};

/** Why an element fails the minimal envelope (or the key byte budgets), or undefined when it passes. */
export const envelopeProblem = (item: unknown): string | undefined => {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'event is not a JSON object';
  const event = item as Record<string, unknown>;
  const problems: string[] = [];
  if (!isId(event.id)) problems.push(`id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  if (!isId(event.event_type)) problems.push(`event_type must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  const time = event.time;
  if (typeof time !== 'number' || !Number.isInteger(time) || time < 0 || time > MAX_EVENT_TIME_SECONDS) {
    problems.push('time must be an integer number of UNIX seconds');
  }
  problems.push(...keyBytesProblems(event));
  return problems.length > 0 ? problems.join('; ') : undefined;
};

const rejectOf = (index: number, reason: string, item: unknown): CurrentsReject => {
  let raw: string;
  try {
    raw = JSON.stringify(item) ?? String(item);
  } catch {
    raw = String(item);
  }
  return raw.length > REJECT_RAW_LIMIT ? { index, reason, raw: raw.slice(0, REJECT_RAW_LIMIT), truncated: true } : { index, reason, raw };
};

type Item = { readonly event: CurrentsEvent } | { readonly packed: string } | { readonly reject: CurrentsReject };

export interface Classified {
  readonly items: Item[];
  readonly accepted: number;
  readonly packed: number;
  readonly rejected: CurrentsReject[];
}

/** Sorts a batch's elements into events to queue (compressed when large) and rejects. */
export const classifyEvents = (elements: readonly unknown[]): Classified => {
  const items: Item[] = [];
  const rejected: CurrentsReject[] = [];
  let accepted = 0;
  let packed = 0;
  elements.forEach((element, index) => {
    const problem = envelopeProblem(element);
    if (problem) {
      const reject = rejectOf(index, problem, element);
      rejected.push(reject);
      items.push({ reject });
      return;
    }
    const event = element as CurrentsEvent;
    const text = JSON.stringify(event);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= EVENT_BYTES_LIMIT) {
      accepted += 1;
      items.push({ event });
      return;
    }
    const compressed = gzipSync(text).toString('base64');
    if (compressed.length <= EVENT_BYTES_LIMIT) {
      accepted += 1;
      packed += 1;
      items.push({ packed: compressed });
      return;
    }
    const reject = rejectOf(index, `event is ${bytes} bytes, ${compressed.length} compressed: larger than a queue message (${EVENT_BYTES_LIMIT})`, element);
    rejected.push(reject);
    items.push({ reject });
  });
  return { items, accepted, packed, rejected };
};

/**
 * Packs classified items into queue message bodies that each `fits` a queue message (undefined if
 * one item alone cannot). A message's dedupeKey hashes its workspace and content, so the same batch
 * re-sent by Braze is skipped whole by the worker's idempotency layer; split re-sends are caught by
 * the per-event markers.
 */
export const buildMessages = (
  workspaceId: string,
  receivedAt: number,
  items: readonly Item[],
  fits: (body: string) => boolean,
  batchId = randomBytes(6).toString('hex'),
): string[] | undefined => {
  const toBody = (chunk: readonly Item[]): string => {
    const events: CurrentsEvent[] = [];
    const packed: string[] = [];
    const rejects: CurrentsReject[] = [];
    for (const item of chunk) {
      if ('event' in item) events.push(item.event);
      else if ('packed' in item) packed.push(item.packed);
      else rejects.push(item.reject);
    }
    const content = JSON.stringify([events, packed, rejects.map((reject) => [reject.reason, reject.raw])]);
    const digest = createHash('sha256').update(workspaceId).update('\n').update(content).digest('hex');
    const message: CurrentsMessage = { dedupeKey: `currents#${workspaceId}#${digest}`, workspaceId, receivedAt, batchId, events, packed, rejects };
    return JSON.stringify(message);
  };
  return chunkToFit(items, toBody, fits);
};

/** What became of a Currents POST. */
export type CurrentsIngestOutcome =
  /** `?workspace=` names another workspace than the token's. */
  | { readonly kind: 'wrong-workspace' }
  /** Not a JSON object with an `events` array. */
  | { readonly kind: 'invalid'; readonly refusal: Refusal }
  | { readonly kind: 'credential-check' }
  /** One event cannot fit a queue message (cannot happen: larger events are rejects). */
  | { readonly kind: 'too-large' }
  /** The queue did not take the whole batch: Braze retries it; per-event markers store each event once. */
  | { readonly kind: 'unavailable'; readonly publish: Extract<PublishOutcome, { ok: false }> }
  | { readonly kind: 'queued'; readonly accepted: number; readonly compressed: number; readonly rejected: number; readonly messages: number };

export interface CurrentsRequest {
  readonly rawBody: string;
  readonly receivedAt: number;
  /** `?workspace=<id or name>`, which must agree with the token's workspace. */
  readonly namedWorkspace: string | undefined;
}

/** Accepts one Currents POST body for an authenticated workspace: queues all of it (events and rejects), or says why not. */
export const ingestCurrents = async (deps: { publisher: QueuePublisher }, workspace: WorkspaceRecord, request: CurrentsRequest): Promise<CurrentsIngestOutcome> => {
  const named = request.namedWorkspace;
  if (named !== undefined && named !== workspace.workspaceId && named !== workspace.name) return { kind: 'wrong-workspace' };
  const body = parseCurrentsBody(request.rawBody);
  if (!body.ok) return { kind: 'invalid', refusal: body };
  if (body.value.kind === 'credential-check') return { kind: 'credential-check' };
  const classified = classifyEvents(body.value.items);
  const messages = buildMessages(workspace.workspaceId, request.receivedAt, classified.items, deps.publisher.fits);
  if (!messages) return { kind: 'too-large' };
  const published = await deps.publisher.publishAll(messages);
  if (!published.ok) return { kind: 'unavailable', publish: published };
  return { kind: 'queued', accepted: classified.accepted, compressed: classified.packed, rejected: classified.rejected.length, messages: messages.length };
};
