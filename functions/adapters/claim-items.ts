/**
 * Item layouts of identifier claims (aliases table) and the profile-side half of recording an
 * identifier: what claim-store.ts writes in each transaction.
 */
import { identifierKey, type Identifier } from '../domain/identifiers';
import { ownValue } from '../shared/own';
import type { Profile } from '../schemas/directory';
import { claimKey, claimsOfProfilePk } from './dynamo/keys';
import { LIVE_PROFILE } from './profile-store';

/** A claim item: `profileId` holds the identifier `key`; index byProfile lists it under the profile. */
export const claimItem = (workspaceId: string, key: string, profileId: string, ownerIdentified: boolean, now: string) => ({
  ...claimKey(workspaceId, key),
  workspaceId,
  key,
  profileId,
  ownerIdentified,
  claimedAt: now,
  gsi1pk: claimsOfProfilePk(workspaceId, profileId),
  gsi1sk: key,
});

/** Identifier keys a profile item itself lists (authoritative, strongly consistent). */
export const profileIdentifierKeys = (profile: Pick<Profile, 'externalId' | 'aliases' | 'deviceIds'>): string[] => [
  ...(profile.externalId !== undefined ? [identifierKey({ kind: 'external_id', value: profile.externalId })] : []),
  ...Object.entries(profile.aliases).map(([label, name]) => identifierKey({ kind: 'alias', label, name })),
  ...profile.deviceIds.map((value) => identifierKey({ kind: 'device_id', value })),
];

/**
 * The profile-side half of recording an identifier: an alias only if the profile has no alias of
 * that label (or the same one), an external_id only if it has none (or the same), a device id once.
 * `ownerIdentified` pins the identification state the claim item was written with.
 */
export const profileUpdateFor = (identifier: Identifier, now: string, ownerIdentified: boolean) => {
  const identified = ownerIdentified ? 'attribute_exists(externalId)' : 'attribute_not_exists(externalId)';
  switch (identifier.kind) {
    case 'alias':
      return {
        UpdateExpression: 'SET aliases.#label = :name, updatedAt = :now',
        ConditionExpression: `${LIVE_PROFILE} AND ${identified} AND (attribute_not_exists(aliases.#label) OR aliases.#label = :name)`,
        ExpressionAttributeNames: { '#label': identifier.label },
        ExpressionAttributeValues: { ':name': identifier.name, ':now': now },
      };
    case 'external_id':
      return {
        UpdateExpression: 'SET externalId = :value, updatedAt = :now',
        ConditionExpression: `${LIVE_PROFILE} AND (attribute_not_exists(externalId) OR externalId = :value)`,
        ExpressionAttributeValues: { ':value': identifier.value, ':now': now },
      };
    case 'device_id':
      return {
        UpdateExpression: 'SET deviceIds = list_append(deviceIds, :device), updatedAt = :now',
        ConditionExpression: `${LIVE_PROFILE} AND ${identified} AND NOT contains(deviceIds, :value)`,
        ExpressionAttributeValues: { ':device': [identifier.value], ':value': identifier.value, ':now': now },
      };
  }
};

/** True when the profile already records this identifier (so a claim is a no-op success). */
export const profileHas = (profile: Profile, identifier: Identifier): boolean => {
  switch (identifier.kind) {
    case 'alias':
      return ownValue(profile.aliases, identifier.label) === identifier.name;
    case 'external_id':
      return profile.externalId === identifier.value;
    case 'device_id':
      return profile.deviceIds.includes(identifier.value);
  }
};

/** True when the profile holds another identifier of the same single-valued kind (an alias label, an external_id). */
export const slotTaken = (profile: Profile, identifier: Identifier): boolean =>
  (identifier.kind === 'alias' && ownValue(profile.aliases, identifier.label) !== undefined) ||
  (identifier.kind === 'external_id' && profile.externalId !== undefined);
