/**
 * Shapes of the membership history: a member item's image as the cohorts table stream carries it
 * (plain attributes only, never the key layout, which the scale work may reshape), and the flips
 * derived from two images.
 */
import * as z from 'zod/mini';
import { identifierSchema } from './cohort-import';

export const changeSourceSchema = z.object({
  kind: z.enum(['cohort_import', 'segment_audience', 'heap_sync', 'heap_drain', 'orphan_merge', 'user_deletion']),
  importId: z.optional(z.string()),
  partner: z.optional(z.string()),
  syncTaskId: z.optional(z.string()),
  page: z.optional(z.number()),
  audience: z.optional(z.string()),
  mergedFrom: z.optional(z.string()),
  mergedInto: z.optional(z.string()),
  identifier: z.optional(identifierSchema),
});

/**
 * A member item's image (cohorts table). Items without these attributes — set META, counters,
 * shard counters, import reports, Heap run state — do not parse, so they are ignored.
 */
export const memberImageSchema = z.object({
  workspaceId: z.string(),
  setKind: z.enum(['cohort', 'segment']),
  setId: z.string(),
  memberKind: z.enum(['profile', 'visitor']),
  memberId: z.string(),
  status: z.enum(['member', 'removed']),
  version: z.string(),
  changedAt: z.optional(z.string()),
  source: z.optional(changeSourceSchema),
  /** Set when the engine moved the member from its set's old partition: the status it had there. */
  movedFrom: z.optional(z.enum(['member', 'removed'])),
});
export type MemberImage = z.infer<typeof memberImageSchema>;

/** One applied flip: a member entered or exited a set at a version. */
export const membershipFlipSchema = z.object({
  workspaceId: z.string(),
  setKind: z.enum(['cohort', 'segment']),
  setId: z.string(),
  memberKind: z.enum(['profile', 'visitor']),
  memberId: z.string(),
  direction: z.enum(['entered', 'exited']),
  version: z.string(),
  changedAt: z.string(),
  source: z.optional(changeSourceSchema),
});
export type MembershipFlip = z.infer<typeof membershipFlipSchema>;

/** One identifier's decision in one import, as stored in the history table (adapters/decision-log.ts). */
export const identifierDecisionSchema = z.object({
  workspaceId: z.string(),
  cohortId: z.string(),
  identifier: identifierSchema,
  importId: z.string(),
  partner: z.string(),
  op: z.enum(['add', 'remove']),
  decision: z.enum(['added', 'removed', 'unchanged', 'stale', 'unmatched', 'applied']),
  reason: z.optional(z.string()),
  brazeId: z.optional(z.string()),
  at: z.string(),
});
