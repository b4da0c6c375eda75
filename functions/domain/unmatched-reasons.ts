/**
 * Why an identifier of a cohort import matched no profile, per identifier kind (issue 14, item 3),
 * so a partner's match quality can be acted on:
 * - `unknown_identifier`: no profile holds it (never seen, or seen only as another kind);
 * - `device_of_identified_profile`: a device id whose profile has an external_id (Braze matches
 *   device ids of anonymous users only);
 * - `malformed`: empty, blank, or with control characters: no profile can hold it;
 * - `merged_profile_followed`: its profile was merged into another and following the merge found no
 *   profile to match.
 * Counts per kind and reason, and samples per reason (at most SAMPLE_LIMIT each, as the report's
 * other samples).
 */
import { SAMPLE_LIMIT } from '../schemas/cohort-import';
import type { Profile } from '../schemas/directory';
import { describeIdentifier, type Identifier } from './identifiers';

export const UNMATCHED_REASONS = ['unknown_identifier', 'device_of_identified_profile', 'malformed', 'merged_profile_followed'] as const;
export type UnmatchedReason = (typeof UNMATCHED_REASONS)[number];

/** The report's identifier kinds, named as Braze's request fields. */
export const IDENTIFIER_FIELDS = { external_id: 'user_ids', device_id: 'device_ids', alias: 'aliases' } as const;
export type IdentifierField = (typeof IDENTIFIER_FIELDS)[keyof typeof IDENTIFIER_FIELDS];

export type UnmatchedByReason = Partial<Record<IdentifierField, Partial<Record<UnmatchedReason, number>>>>;
export type UnmatchedSamplesByReason = Partial<Record<UnmatchedReason, string[]>>;

/** Reasons that can apply to a kind (only device ids stop matching once their profile is identified). */
export const reasonsOf = (field: IdentifierField): readonly UnmatchedReason[] =>
  field === 'device_ids' ? UNMATCHED_REASONS : UNMATCHED_REASONS.filter((reason) => reason !== 'device_of_identified_profile');

// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const CONTROL = /[\u0000-\u001f\u007f]/;
const bad = (value: string) => value.trim() === '' || CONTROL.test(value);

/** An identifier no profile can hold: a blank value (or label, or name), or one with control characters. */
export const isMalformed = (identifier: Identifier): boolean =>
  identifier.kind === 'alias' ? bad(identifier.label) || bad(identifier.name) : bad(identifier.value);

/** Counts and samples unmatched identifiers by kind and reason. */
export const unmatchedTally = () => {
  const counts: UnmatchedByReason = {};
  const samples: UnmatchedSamplesByReason = {};
  return {
    add(identifier: Identifier, reason: UnmatchedReason): void {
      const field = IDENTIFIER_FIELDS[identifier.kind];
      const byReason = (counts[field] ??= {});
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      const list = (samples[reason] ??= []);
      if (list.length < SAMPLE_LIMIT) list.push(describeIdentifier(identifier));
    },
    counts,
    samples,
  };
};

/** Every kind with every reason that applies to it, zeros included: the report's shape. */
export const fullUnmatchedByReason = (stored: UnmatchedByReason | undefined): Record<IdentifierField, Partial<Record<UnmatchedReason, number>>> => {
  const fields = Object.values(IDENTIFIER_FIELDS);
  return Object.fromEntries(
    fields.map((field) => [field, Object.fromEntries(reasonsOf(field).map((reason) => [reason, stored?.[field]?.[reason] ?? 0]))]),
  ) as Record<IdentifierField, Partial<Record<UnmatchedReason, number>>>;
};

/** Of profiles that resolved to no survivor, those that were merged (the chain was followed, and ended nowhere). */
export const mergedWithoutSurvivor = async (
  reader: { getProfiles(workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>> },
  workspaceId: string,
  ids: readonly string[],
): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const profiles = await reader.getProfiles(workspaceId, ids);
  return new Set([...profiles.values()].filter((profile) => profile.mergedInto !== undefined).map((profile) => profile.brazeId));
};
