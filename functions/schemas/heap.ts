/**
 * Heap segment-sync webhook bodies (as Heap sends them) and the heapSync queue message the webhook
 * writes for the segment worker. Webhook schemas are loose: Heap may add fields at any time.
 */
import * as z from 'zod/mini';
import { fitsKey, keyBytesMessage } from './key-bytes';

/** A Heap user reference: `id` is the value of the user property the customer chose (ABTastyVisitorId). */
const heapUserSchema = z.looseObject({ id: z.optional(z.unknown()) });

/** Heap segment ids are integers; strings are accepted in the charset the pull API's paths use. */
export const SEGMENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const segmentSchema = z.looseObject({
  id: z.union([z.number().check(z.int(), z.minimum(0)), z.string().check(z.regex(SEGMENT_ID_PATTERN))]),
  name: z.optional(z.string()),
});

/** The envelope every action shares; `data` is read per action type. */
export const heapEnvelopeSchema = z.looseObject({
  action_type: z.string(),
  id_token: z.optional(z.string().check(z.maxLength(512))),
});

export type HeapEnvelope = z.infer<typeof heapEnvelopeSchema>;

export const heapSyncDataSchema = z.looseObject({
  segment: segmentSchema,
  sync_info: z.looseObject({
    page_number: z.number().check(z.int(), z.minimum(0)),
    total_pages: z.number().check(z.int(), z.minimum(0)),
    // Heap's sample body uses a non-UUID task id: any non-empty string is accepted, within the byte
    // budget of the keys it is part of (256 characters can be 1,024 bytes: key-bytes.ts).
    sync_task_id: z
      .union([z.string().check(z.minLength(1), z.maxLength(256)), z.number()])
      .check(z.refine((id) => typeof id !== 'string' || fitsKey('syncTaskId', id), keyBytesMessage('sync_task_id', 'syncTaskId'))),
  }),
  add: z._default(z.array(heapUserSchema), []),
  remove: z._default(z.array(heapUserSchema), []),
});

export const heapDrainDataSchema = z.looseObject({ segment: segmentSchema });

export type HeapSyncData = z.infer<typeof heapSyncDataSchema>;

/** One queued unit of segment work: part `part` of a sync page, or a drain of the whole segment. */
export const heapSyncMessageSchema = z.object({
  dedupeKey: z.string(),
  type: z.enum(['sync', 'drain']),
  workspaceId: z.string(),
  segmentId: z.string(),
  segmentName: z.optional(z.string()),
  /** Membership version of every change in this message (receive time + page key). */
  version: z.string(),
  /** When the webhook was received, ISO time: the segment's "last sync" time. */
  receivedAt: z.string(),
  syncTaskId: z.optional(z.string()),
  pageNumber: z.optional(z.number()),
  totalPages: z.optional(z.number()),
  part: z.number(),
  parts: z.number(),
  add: z._default(z.array(z.string()), []),
  remove: z._default(z.array(z.string()), []),
  /** Drains of very large segments continue in follow-up messages. */
  round: z._default(z.number(), 0),
  /** Where a drain continuation resumes (base-table key of the last member read). */
  startKey: z.optional(z.record(z.string(), z.unknown())),
});

export type HeapSyncMessage = z.infer<typeof heapSyncMessageSchema>;
