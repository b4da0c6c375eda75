/** Stored shapes of the user directory: profiles (users table) and identifier claims (aliases table). */
import * as z from 'zod/mini';

export const profileSchema = z.object({
  workspaceId: z.string(),
  brazeId: z.string(),
  externalId: z.optional(z.string()),
  /** label → name; Braze allows one alias per label per profile. */
  aliases: z._default(z.record(z.string(), z.string()), {}),
  deviceIds: z._default(z.array(z.string()), []),
  /** Set when this profile was merged (orphaned) into another: reads and matches follow it. */
  mergedInto: z.optional(z.string()),
  /** Set when the profile was deleted (users.UserDeleteRequest): a tombstone without identifiers, so late events cannot resurrect it. */
  deletedAt: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Time (epoch ms) of the newest identity fact applied; older facts never overwrite newer ones. */
  identityVersion: z._default(z.number(), 0),
});

export type Profile = z.infer<typeof profileSchema>;

/** Identified = has an external_id (Braze's definition); anonymous otherwise. */
export const isIdentified = (profile: Pick<Profile, 'externalId'>): boolean => profile.externalId !== undefined;

/** A live profile: neither merged into another nor deleted. Only live profiles gain identifiers. */
export const isLive = (profile: Pick<Profile, 'mergedInto' | 'deletedAt'>): boolean =>
  profile.mergedInto === undefined && profile.deletedAt === undefined;

export const claimSchema = z.object({
  workspaceId: z.string(),
  key: z.string(),
  profileId: z.string(),
  /** For device ids: true once the owning profile is identified, so the device id stops matching. */
  ownerIdentified: z._default(z.boolean(), false),
  claimedAt: z.string(),
});

export type Claim = z.infer<typeof claimSchema>;

/**
 * A profile as first written: no aliases, the given external id and device ids, created now.
 * Every write path (events, alias API, merges, tombstones, test fakes) builds profiles through this.
 */
export const newProfile = (
  workspaceId: string,
  brazeId: string,
  now: string,
  facts: { externalId?: string; deviceIds?: readonly string[]; identityVersion?: number; mergedInto?: string; deletedAt?: string } = {},
): Profile => ({
  workspaceId,
  brazeId,
  ...(facts.externalId !== undefined ? { externalId: facts.externalId } : {}),
  aliases: {},
  deviceIds: [...(facts.deviceIds ?? [])],
  ...(facts.mergedInto !== undefined ? { mergedInto: facts.mergedInto } : {}),
  createdAt: now,
  updatedAt: now,
  ...(facts.deletedAt !== undefined ? { deletedAt: facts.deletedAt } : {}),
  identityVersion: facts.identityVersion ?? 0,
});
