/**
 * Braze Currents shapes. The envelope is deliberately minimal: `id`, `event_type` and an integer
 * `time` are all an event needs to be stored; everything else (new event types, new fields, the
 * nested `properties`) is kept exactly as it came, because Braze adds fields without notice.
 */
import * as z from 'zod/mini';

/**
 * Longest id we key items by, in characters (no Braze id comes near this). DynamoDB's key limits
 * are in bytes: ingest also checks every keyed field against its byte budget (key-bytes.ts).
 */
export const MAX_ID_LENGTH = 512;
/** Identity commands among the event types: a deletion, and a merge into `properties.orphaned_by_id`. */
export const USER_DELETE_REQUEST = 'users.UserDeleteRequest';
export const USER_ORPHAN = 'users.UserOrphan';
/** Seconds up to year 5138: `time * 1000` stays a 14-digit number, so padded sort keys order correctly. */
export const MAX_EVENT_TIME_SECONDS = 99_999_999_999;

const id = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));

/** `user` block: `{}` for agent console events; `user_id` is the braze_id. */
export const currentsUserSchema = z.looseObject({
  user_id: z.optional(id),
  external_user_id: z.optional(id),
  device_id: z.optional(id),
});

/** The minimal envelope every stored event must have; unknown fields pass through untouched. */
export const currentsEventSchema = z.looseObject({
  id,
  event_type: z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH)),
  time: z.int().check(z.minimum(0), z.maximum(MAX_EVENT_TIME_SECONDS)),
  // `user` and `properties` are read defensively where needed (see userOf): an odd `user` block
  // must not cost the event, it only means the directory learns nothing from it.
});

export type CurrentsEvent = z.infer<typeof currentsEventSchema>;

export type CurrentsUser = z.infer<typeof currentsUserSchema>;

/** The event's `user` block if it is readable, else undefined (`{}` reads as an empty user). */
export const userOf = (event: CurrentsEvent): CurrentsUser | undefined => {
  const parsed = currentsUserSchema.safeParse((event as Record<string, unknown>).user ?? {});
  return parsed.success ? parsed.data : undefined;
};

/** A string property of the event's `properties` object, if present. */
export const stringProperty = (event: CurrentsEvent, name: string): string | undefined => {
  const properties = (event as Record<string, unknown>).properties;
  if (typeof properties !== 'object' || properties === null) return undefined;
  const value = (properties as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH ? value : undefined;
};

/** The request body: a JSON object with an `events` array (each element checked separately). */
export const currentsBatchSchema = z.looseObject({ events: z.array(z.unknown()) });

/** An event that failed the envelope (or could not be queued), kept for operators with the reason. */
export const currentsRejectSchema = z.object({
  /** Position in the received batch. */
  index: z.number(),
  reason: z.string(),
  /** The event's JSON text, cut at REJECT_RAW_LIMIT characters. */
  raw: z.string(),
  truncated: z.optional(z.boolean()),
});

export type CurrentsReject = z.infer<typeof currentsRejectSchema>;

/** One queued message: part of one received batch. */
export const currentsMessageSchema = z.object({
  dedupeKey: z.string(),
  workspaceId: z.string(),
  /** When the hub received the batch (epoch ms): orders membership changes made by merges and deletes. */
  receivedAt: z.number(),
  /** Random id of the received batch: with `index` it keys rejects uniquely. */
  batchId: z.string(),
  events: z.array(currentsEventSchema),
  /** Events too big for a message as JSON, gzip-compressed and base64-encoded. */
  packed: z._default(z.array(z.string()), []),
  rejects: z._default(z.array(currentsRejectSchema), []),
});

export type CurrentsMessage = z.infer<typeof currentsMessageSchema>;
