/**
 * Braze partner cohort import: request field schemas (checked one field at a time so each failure
 * maps to Braze's own message text) and the shape of the messages queued for the matching worker.
 */
import * as z from 'zod/mini';
import { fitsKey, identifierFits } from './key-bytes';

/** Braze's error texts, word for word (docs/cohort-import.md, "Error answers"). */
export const BRAZE_ERRORS = {
  cohortId: '`cohort_id` must be a valid string',
  cohortChanges:
    '`cohort_changes` must be an array of objects each with key `user_ids` and/or `device_ids` mapping to an array of strings, or an `aliases` object',
  tooManyIdentifiers: 'Only 1,000 `user_ids`, `device_ids`, and `aliases` are allowed per request',
  name: '`name` must be a non-empty string',
  createdAt: '`created_at` must be a valid time as an ISO-8601 string',
  invalidPartnerKey: 'Invalid Partner API key',
  invalidClientSecret: 'Invalid client secret',
  partnerNotEnabled: 'Partner not enabled for client with client secret',
} as const;

/** Braze's cap: identifiers across all lists and change objects of one request. */
export const MAX_IDENTIFIERS_PER_REQUEST = 1000;

/** At most this many sample values are kept in a report list. */
export const SAMPLE_LIMIT = 100;

/**
 * Longest accepted identifier or cohort id, in characters. The DynamoDB key limits are in bytes:
 * each value is also checked against the byte budget of its key (key-bytes.ts), so that no accepted
 * request can fail in the worker.
 */
export const MAX_ID_LENGTH = 512;

const boundedString = z.string().check(z.maxLength(MAX_ID_LENGTH));
const keyedId = (kind: 'external_id' | 'device_id') => boundedString.check(z.refine((value) => identifierFits({ kind, value })));

export const cohortIdSchema = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH), z.refine((id) => fitsKey('cohortId', id)));
export const cohortNameSchema = z.string().check(z.minLength(1), z.maxLength(1024), z.refine((name) => name.trim().length > 0));

const aliasSchema = z
  .looseObject({ alias_name: boundedString, alias_label: boundedString })
  .check(z.refine((alias) => identifierFits({ kind: 'alias', label: alias.alias_label, name: alias.alias_name })));

/** `null` is tolerated like an absent key: some senders serialise unset lists that way. */
const idList = (kind: 'external_id' | 'device_id') => z.optional(z.nullable(z.array(keyedId(kind))));

/**
 * One object of `cohort_changes`. Unknown keys are ignored; `aliases` may be a list or a single
 * object; a missing `should_remove` means "add".
 */
export const cohortChangeSchema = z.looseObject({
  user_ids: idList('external_id'),
  device_ids: idList('device_id'),
  aliases: z.optional(z.nullable(z.union([z.array(aliasSchema), aliasSchema]))),
  should_remove: z.optional(z.nullable(z.boolean())),
});

export const cohortChangesSchema = z.array(cohortChangeSchema);
export type CohortChangeInput = z.infer<typeof cohortChangeSchema>;

/** An identifier as carried in a queued message (same union as domain/identifiers.ts). */
export const identifierSchema = z.union([
  z.object({ kind: z.literal('external_id'), value: z.string() }),
  z.object({ kind: z.literal('alias'), label: z.string(), name: z.string() }),
  z.object({ kind: z.literal('device_id'), value: z.string() }),
]);

export const receivedCountsSchema = z.object({ user_ids: z.number(), device_ids: z.number(), aliases: z.number() });
export type ReceivedCounts = z.infer<typeof receivedCountsSchema>;

const messageBase = {
  dedupeKey: z.string(),
  workspaceId: z.string(),
  partner: z.string(),
  cohortId: z.string(),
  importId: z.string(),
  /** When the hub received the request, epoch ms: the base of every version this import writes. */
  receivedAt: z.number(),
  /** Short SHA-256 fingerprint of the presented partner_api_key (never the key itself). */
  partnerKeyFingerprint: z.optional(z.string()),
  /** Days to keep this import's per-identifier decisions, 0 for none (the workspace's setting at ingest; absent: the default). */
  decisionLogDays: z.optional(z.number()),
};

/** `/cohorts`: create or rename. */
export const cohortUpsertMessageSchema = z.object({
  ...messageBase,
  type: z.literal('cohort'),
  name: z.string(),
  createdAt: z.string(),
});

/** `/cohorts/users`: one part of a membership delta (a request becomes one or more parts). */
export const membershipMessageSchema = z.object({
  ...messageBase,
  type: z.literal('members'),
  /** The cohort's creation time when the source knows it (Segment: its earliest event), for a cohort first seen here. */
  createdAt: z.optional(z.string()),
  part: z.number(),
  parts: z.number(),
  /** Request-level facts, repeated in every part so any part can write them idempotently. */
  stats: z.object({
    received: receivedCountsSchema,
    duplicate: z.number(),
    conflicts: z.number(),
    conflictSamples: z.array(z.string()),
  }),
  /**
   * `version`: the change's own membership version, for sources whose changes each carry a time
   * (Segment Engage events, domain/segment-audiences.ts); without it the import's versions apply.
   */
  changes: z.array(z.object({ identifier: identifierSchema, op: z.enum(['add', 'remove']), version: z.optional(z.string()) })),
});

export const cohortImportMessageSchema = z.discriminatedUnion('type', [cohortUpsertMessageSchema, membershipMessageSchema]);

export type CohortUpsertMessage = z.infer<typeof cohortUpsertMessageSchema>;
export type MembershipMessage = z.infer<typeof membershipMessageSchema>;
export type CohortImportMessage = z.infer<typeof cohortImportMessageSchema>;

/**
 * @deprecated The import routes' tunables are defined in functions/shared/config.ts; read them with
 * `settings()`. Re-exported until handlers/cohort-ingest.ts reads them there.
 */
export { cohortImportSettingsSchema, type CohortImportSettings } from '../shared/config';
