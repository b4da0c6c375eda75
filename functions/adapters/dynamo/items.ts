/**
 * Stored shapes of the items adapters read back, decoded with zod instead of casts. Profiles,
 * claims and workspace records have their schemas in functions/schemas/; these are the rest.
 * Attributes every write path sets are required; the others are optional, as they were written.
 */
import * as z from 'zod/mini';
import { identifierSchema, receivedCountsSchema } from '../../schemas/cohort-import';
import { changeSourceSchema } from '../../schemas/membership-history';

// ── cohorts table ──────────────────────────────────────────────────────────────────────────────

/** A set's META item; extra attributes (sourcePartner, lastSync, drainVersion…) pass through. */
export const setMetaItem = z.looseObject({
  workspaceId: z.string(),
  setKind: z.enum(['cohort', 'segment']),
  setId: z.string(),
  name: z.optional(z.string()),
  memberCount: z._default(z.number(), 0),
  createdAt: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
  lastChangeAt: z.optional(z.string()),
});
export type SetMetaItem = z.infer<typeof setMetaItem>;

/** A count shard (`COUNT#<nn>`): its part of the set's member count (missing until a change moves it). */
export const countShardItem = z.object({ memberCount: z._default(z.number(), 0) });

const memberStatus = z.enum(['member', 'removed']);
/**
 * The member items of a pending write: id, status, version, the status it had in its old place if it
 * moves (else null when an identifier follows), and the identifier that named it (cohort imports).
 */
export const pendingWritesSchema = z.array(z.tuple([z.string(), memberStatus, z.string(), z.optional(z.nullable(memberStatus)), z.optional(identifierSchema)]));

/**
 * A member partition's pending write as stored on SHARD (adapters/membership-shard.ts): its member
 * items and the old-place ids it deletes as JSON strings (one attribute each, cheap to write and
 * rewrite), the count delta they make.
 */
export const storedPendingItem = z.object({
  token: z.string(),
  delta: z.number(),
  memberKind: z.enum(['profile', 'visitor']),
  changedAt: z.string(),
  source: z.optional(changeSourceSchema),
  writes: z.string(),
  legacy: z.string(),
});
export type StoredPending = z.infer<typeof storedPendingItem>;

/** A pending write as the engine handles it. */
export type PendingWrite = Omit<StoredPending, 'writes' | 'legacy'> & { writes: z.infer<typeof pendingWritesSchema>; legacy: string[] };

/** A member partition's `SHARD` item: its count, floor copy, whether the set kept members in its old partition, its holder and a pending write. */
export const shardItem = z.object({
  memberCount: z._default(z.number(), 0),
  drainVersion: z.optional(z.string()),
  legacy: z.optional(z.boolean()),
  /** The writer holding the partition: its token and lease (epoch ms; 0 once released after an error). */
  holder: z.optional(z.object({ token: z.string(), until: z.number() })),
  pending: z.optional(storedPendingItem),
});
export type ShardState = z.infer<typeof shardItem>;

/** The floor a set's members are decided against (segments only; cohorts have none). */
export const setFloorItem = z.object({ drainVersion: z.optional(z.string()) });

/** A member item as the membership engine reads it. */
export const memberStateItem = z.object({
  memberId: z.string(),
  status: z.enum(['member', 'removed']),
  version: z.string(),
});

/** A member as listed from its set's partition. */
export const memberListingItem = z.object({ memberId: z.string(), version: z.string(), changedAt: z.string() });
export type MemberListing = z.infer<typeof memberListingItem>;

/** A membership as listed by the byMember index. */
export const membershipListingItem = z.object({ setId: z.string(), version: z.string(), changedAt: z.string() });

export const memberIdItem = z.object({ memberId: z.string() });

/** A Heap sync run: the page parts applied so far (`<page>:<part>/<parts>`). */
export const syncRunItem = z.object({ partsApplied: z.optional(z.set(z.string())) });

const optionalCount = z._default(z.number(), 0);
const samples = z._default(z.array(z.string()), []);

/** A cohort import report (`IMPORT#<importId>`); counters missing until a part adds them read as 0. */
export const importReportItem = z.object({
  importId: z.string(),
  cohortId: z.string(),
  kind: z.optional(z.enum(['members', 'cohort'])),
  partner: z.optional(z.string()),
  receivedAt: z.optional(z.string()),
  parts: z.optional(z.number()),
  partsApplied: z.optional(z.set(z.number())),
  received: z._default(receivedCountsSchema, { user_ids: 0, device_ids: 0, aliases: 0 }),
  duplicate: optionalCount,
  conflicts: optionalCount,
  conflictSamples: samples,
  matched: optionalCount,
  unmatched: optionalCount,
  unmatchedSamples: samples,
  added: optionalCount,
  removed: optionalCount,
  unchanged: optionalCount,
  stale: optionalCount,
  failed: z._default(z.boolean(), false),
  failureReason: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
});

// ── aliases table ──────────────────────────────────────────────────────────────────────────────

/** A claim as listed by the byProfile index: its identifier key. */
export const claimListingItem = z.object({ gsi1sk: z.string() });

// ── events and idempotency tables ───────────────────────────────────────────────────────────────

/** A processed-event marker. */
export const eventMarkerItem = z.object({ eventId: z.optional(z.string()), expiration: z.optional(z.number()) });

/** The key projection of a stored event. */
export const eventKeyItem = z.object({ pk: z.string(), sk: z.string(), eventId: z.string() });

/** A refused Currents event or Heap delivery (`index` only on Currents rejects). */
export const rejectItem = z.looseObject({
  receivedAt: z.number(),
  index: z.optional(z.number()),
  reason: z.string(),
  raw: z.string(),
  truncated: z.optional(z.boolean()),
});

export const firstReceivedItem = z.object({ firstReceivedAt: z.number() });
export const windowCountItem = z.object({ count: z.number() });
/** The AB Tasty push lease and coverage item (epoch ms throughout). */
export const deliveryStateItem = z.object({
  leaseId: z.optional(z.string()),
  leaseUntil: z.optional(z.number()),
  settledFrom: z.optional(z.number()),
  pendingSince: z.optional(z.number()),
});

// ── workspaces table ─────────────────────────────────────────────────────────────────────────────

/** A name claim or credential index entry: the workspace it points at. */
export const workspacePointerItem = z.object({ workspaceId: z.string() });

/** The pinned partner keys, as returned by the pinning update. */
export const partnerKeyHashesItem = z.object({ partnerKeyHashes: z.optional(z.record(z.string(), z.string())) });

export const partnerKeySeenItem = z.object({
  partner: z.string(),
  fingerprint: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
});

/** Decodes every item of a Query or BatchGet page. */
export const decodeAll = <T>(schema: { parse(input: unknown): T }, items: readonly unknown[] | undefined): T[] => (items ?? []).map((item) => schema.parse(item));
