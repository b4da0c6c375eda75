/**
 * DynamoDB access to the user directory.
 * - users table: `<ws>#<brazeId>` / `PROFILE` — the profile.
 * - aliases table: `<ws>#<identifierKey>` / `CLAIM` — which profile holds an identifier
 *   (GSI `byProfile`: `<ws>#<brazeId>` / identifierKey lists a profile's identifiers).
 * Claims are transactional: the claim item and the profile change commit together or not at all,
 * so two profiles can never hold one identifier and a profile never holds two aliases of one label.
 * Every profile write is conditioned on the profile being live (not merged, not deleted), and a
 * device claim recorded as "owner anonymous" is conditioned on the profile still having no
 * external_id: a device id can never keep matching after its owner was identified.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { identifierKey, scoped, type Identifier } from '../domain/identifiers';
import { batchWriteAll, type BatchWriteCounter } from './dynamo/batch-write';
import { ownValue } from '../shared/own';
import type { ClaimOutcome, DirectoryPort, MoveOutcome, RenameOutcome } from '../domain/directory';
import { claimSchema, isIdentified, isLive, newProfile, profileSchema, type Claim, type Profile } from '../schemas/directory';

export type { ClaimOutcome } from '../domain/directory';

export interface DirectoryTables {
  readonly users: string;
  readonly aliases: string;
}

export const profileKey = (workspaceId: string, brazeId: string) => ({ pk: scoped(workspaceId, brazeId), sk: 'PROFILE' });
export const claimKey = (workspaceId: string, key: string) => ({ pk: scoped(workspaceId, key), sk: 'CLAIM' });

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** BatchWriteItem calls in flight during a bulk import. */
const IMPORT_WRITE_CONCURRENCY = 4;
/** Re-reads after a condition failed because the profile changed under us (it became identified…). */
const MAX_ATTEMPTS = 4;

const LIVE = 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(deletedAt)';

const isConditionFailure = (error: unknown): boolean => (error as Error).name === 'ConditionalCheckFailedException';

/** Inverse of identifierKey for the three kinds (keys are escaped with %23 / %25). */
export const identifierFromKey = (key: string): Identifier | undefined => {
  const unescape = (part: string) => part.replace(/%23/g, '#').replace(/%25/g, '%');
  const [kind, first, second, extra] = key.split('#');
  if (first === undefined || extra !== undefined) return undefined;
  if (kind === 'ext' && second === undefined) return { kind: 'external_id', value: unescape(first) };
  if (kind === 'dev' && second === undefined) return { kind: 'device_id', value: unescape(first) };
  if (kind === 'alias' && second !== undefined) return { kind: 'alias', label: unescape(first), name: unescape(second) };
  return undefined;
};

/** Identifier keys a profile item itself lists (authoritative, strongly consistent). */
export const profileIdentifierKeys = (profile: Profile): string[] => [
  ...(profile.externalId !== undefined ? [identifierKey({ kind: 'external_id', value: profile.externalId })] : []),
  ...Object.entries(profile.aliases).map(([label, name]) => identifierKey({ kind: 'alias', label, name })),
  ...profile.deviceIds.map((value) => identifierKey({ kind: 'device_id', value })),
];

/**
 * The profile-side half of recording an identifier: an alias only if the profile has no alias of
 * that label (or the same one), an external_id only if it has none (or the same), a device id once.
 * `ownerIdentified` pins the identification state the claim item was written with.
 */
const profileUpdateFor = (identifier: Identifier, now: string, ownerIdentified: boolean) => {
  const identified = ownerIdentified ? 'attribute_exists(externalId)' : 'attribute_not_exists(externalId)';
  switch (identifier.kind) {
    case 'alias':
      return {
        UpdateExpression: 'SET aliases.#label = :name, updatedAt = :now',
        ConditionExpression: `${LIVE} AND ${identified} AND (attribute_not_exists(aliases.#label) OR aliases.#label = :name)`,
        ExpressionAttributeNames: { '#label': identifier.label },
        ExpressionAttributeValues: { ':name': identifier.name, ':now': now },
      };
    case 'external_id':
      return {
        UpdateExpression: 'SET externalId = :value, updatedAt = :now',
        ConditionExpression: `${LIVE} AND (attribute_not_exists(externalId) OR externalId = :value)`,
        ExpressionAttributeValues: { ':value': identifier.value, ':now': now },
      };
    case 'device_id':
      return {
        UpdateExpression: 'SET deviceIds = list_append(deviceIds, :device), updatedAt = :now',
        ConditionExpression: `${LIVE} AND ${identified} AND NOT contains(deviceIds, :value)`,
        ExpressionAttributeValues: { ':device': [identifier.value], ':value': identifier.value, ':now': now },
      };
  }
};

/** True when the profile already records this identifier (so a claim is a no-op success). */
const profileHas = (profile: Profile, identifier: Identifier): boolean => {
  switch (identifier.kind) {
    case 'alias':
      return ownValue(profile.aliases, identifier.label) === identifier.name;
    case 'external_id':
      return profile.externalId === identifier.value;
    case 'device_id':
      return profile.deviceIds.includes(identifier.value);
  }
};

export const directoryStore = (db: DynamoDBDocumentClient, tables: DirectoryTables) => {
  const getProfile = async (workspaceId: string, brazeId: string): Promise<Profile | undefined> => {
    const result = await db.send(new GetCommand({ TableName: tables.users, Key: profileKey(workspaceId, brazeId), ConsistentRead: true }));
    return result.Item ? profileSchema.parse(result.Item) : undefined;
  };

  const claimItem = (workspaceId: string, key: string, profileId: string, ownerIdentified: boolean, now: string) => ({
    ...claimKey(workspaceId, key),
    workspaceId,
    key,
    profileId,
    ownerIdentified,
    claimedAt: now,
    gsi1pk: scoped(workspaceId, profileId),
    gsi1sk: key,
  });

  /**
   * Writes a claim item for `profileId` plus the matching profile update in one transaction.
   * `claimCondition` guards the claim item (free, or held by `expectedHolder`).
   */
  const writeClaim = async (
    workspaceId: string,
    target: Profile,
    identifier: Identifier,
    expectedHolder: string,
    now: string,
  ): Promise<'claimed' | 'claim-failed' | 'profile-failed'> => {
    const key = identifierKey(identifier);
    const ownerIdentified = isIdentified(target) || identifier.kind === 'external_id';
    try {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tables.aliases,
                Item: claimItem(workspaceId, key, target.brazeId, ownerIdentified, now),
                ConditionExpression: 'attribute_not_exists(pk) OR profileId = :holder',
                ExpressionAttributeValues: { ':holder': expectedHolder },
              },
            },
            {
              Update: {
                TableName: tables.users,
                Key: profileKey(workspaceId, target.brazeId),
                ...profileUpdateFor(identifier, now, isIdentified(target)),
              },
            },
          ],
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [claimReason, profileReason] = error.CancellationReasons ?? [];
      if (claimReason?.Code === 'ConditionalCheckFailed') return 'claim-failed';
      if (profileReason?.Code === 'ConditionalCheckFailed') return 'profile-failed';
      throw error;
    }
  };

  const store = {
    /** Creates an empty profile; false if it already exists. */
    async createProfile(workspaceId: string, brazeId: string, now: string): Promise<boolean> {
      const profile = newProfile(workspaceId, brazeId, now);
      try {
        await db.send(
          new PutCommand({
            TableName: tables.users,
            Item: { ...profileKey(workspaceId, brazeId), ...profile },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    getProfile,

    /**
     * Fast path for a braze_id seen for the first time: the profile and all its claims in one
     * transaction, each claim conditioned on being free. 'exists' when the profile is already
     * there, 'conflict' when another profile holds one of the identifiers (the caller then takes
     * the step-by-step path, where the orphan rule applies).
     */
    async createProfileWithIdentifiers(
      workspaceId: string,
      brazeId: string,
      identity: { externalId?: string; deviceIds: readonly string[]; identityVersion: number },
      now: string,
    ): Promise<'created' | 'exists' | 'conflict'> {
      const profile = newProfile(workspaceId, brazeId, now, identity);
      const keys = profileIdentifierKeys(profile);
      // TransactWriteItems takes 100 actions.
      if (keys.length > 99) return 'conflict';
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: tables.users, Item: { ...profileKey(workspaceId, brazeId), ...profile }, ConditionExpression: 'attribute_not_exists(pk)' } },
              ...keys.map((key) => ({
                Put: {
                  TableName: tables.aliases,
                  Item: claimItem(workspaceId, key, brazeId, identity.externalId !== undefined, now),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              })),
            ],
          }),
        );
        return 'created';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [profileReason, ...claimReasons] = error.CancellationReasons ?? [];
        if (profileReason?.Code === 'ConditionalCheckFailed') return 'exists';
        if (claimReasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) return 'conflict';
        throw error;
      }
    },

    /** Many profiles by braze id (BatchGetItem, 100 a call, strongly consistent). */
    async getProfiles(workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>> {
      const found = new Map<string, Profile>();
      const unique = [...new Set(brazeIds)];
      for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
        let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
          [tables.users]: { Keys: unique.slice(start, start + BATCH_GET_LIMIT).map((id) => profileKey(workspaceId, id)), ConsistentRead: true },
        };
        while (request && Object.keys(request).length > 0) {
          const result = await db.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of result.Responses?.[tables.users] ?? []) {
            const profile = profileSchema.parse(item);
            found.set(profile.brazeId, profile);
          }
          request = result.UnprocessedKeys as typeof request;
        }
      }
      return found;
    },

    /**
     * Claims an identifier for a profile in one transaction:
     * 1. the claim item is written only if nobody holds it or this profile already does;
     * 2. the profile records it: an alias only if the profile has no alias with that label (or the
     *    same one), an external_id only if it has none (or the same).
     * A failed condition cancels both, and the cancellation reason says which rule refused it. When
     * the profile changed under us (it was identified meanwhile) the claim is re-read and retried,
     * so a device claim is never left marked "owner anonymous" on an identified profile.
     */
    async claim(workspaceId: string, brazeId: string, identifier: Identifier, now: string): Promise<ClaimOutcome> {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const profile = await getProfile(workspaceId, brazeId);
        if (!profile || !isLive(profile)) return 'no-profile';
        // A live profile's lists and its claim items change together, so this is already held.
        if (profileHas(profile, identifier)) return 'claimed';
        const outcome = await writeClaim(workspaceId, profile, identifier, brazeId, now);
        if (outcome === 'claimed') return 'claimed';
        if (outcome === 'claim-failed') return 'held-by-other';
        const fresh = await getProfile(workspaceId, brazeId);
        if (!fresh || !isLive(fresh)) return 'no-profile';
        if (profileHas(fresh, identifier)) return 'claimed';
        if (identifier.kind === 'alias' && ownValue(fresh.aliases, identifier.label) !== undefined) return 'label-taken';
        if (identifier.kind === 'external_id' && fresh.externalId !== undefined) return 'external-id-differs';
        // The identification state changed between our read and the write: try again with it.
      }
      throw new Error(`claim of ${identifierKey(identifier)} kept conflicting`);
    },

    /** Looks up claims for many identifier keys with BatchGetItem (100 keys a call), retrying unprocessed keys. */
    async resolveClaims(workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>> {
      const found = new Map<string, Claim>();
      const unique = [...new Set(keys)];
      for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
        let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
          [tables.aliases]: { Keys: unique.slice(start, start + BATCH_GET_LIMIT).map((key) => claimKey(workspaceId, key)), ConsistentRead: true },
        };
        while (request && Object.keys(request).length > 0) {
          const result = await db.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of result.Responses?.[tables.aliases] ?? []) {
            const claim = claimSchema.parse(item);
            found.set(claim.key, claim);
          }
          request = result.UnprocessedKeys as typeof request;
        }
      }
      return found;
    },

    /** Records that identity facts up to `version` (event time, ms) were seen; never moves backwards. */
    async bumpIdentityVersion(workspaceId: string, brazeId: string, version: number): Promise<void> {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tables.users,
            Key: profileKey(workspaceId, brazeId),
            UpdateExpression: 'SET identityVersion = :v',
            ConditionExpression: `${LIVE} AND identityVersion < :v`,
            ExpressionAttributeValues: { ':v': version },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    /**
     * Changes a profile's external_id (Braze renamed it), only if `version` is newer than every
     * identity fact applied so far: releases the old claim, takes the new one, all or nothing.
     */
    async renameExternalId(workspaceId: string, brazeId: string, from: string, to: string, version: number, now: string): Promise<RenameOutcome> {
      const oldKey = identifierKey({ kind: 'external_id', value: from });
      const newKey = identifierKey({ kind: 'external_id', value: to });
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: tables.aliases,
                  Key: claimKey(workspaceId, oldKey),
                  ConditionExpression: 'attribute_not_exists(pk) OR profileId = :me',
                  ExpressionAttributeValues: { ':me': brazeId },
                },
              },
              {
                Put: {
                  TableName: tables.aliases,
                  Item: claimItem(workspaceId, newKey, brazeId, true, now),
                  ConditionExpression: 'attribute_not_exists(pk) OR profileId = :me',
                  ExpressionAttributeValues: { ':me': brazeId },
                },
              },
              {
                Update: {
                  TableName: tables.users,
                  Key: profileKey(workspaceId, brazeId),
                  UpdateExpression: 'SET externalId = :to, identityVersion = :v, updatedAt = :now',
                  ConditionExpression: `${LIVE} AND externalId = :from AND identityVersion < :v`,
                  ExpressionAttributeValues: { ':to': to, ':from': from, ':v': version, ':now': now },
                },
              },
            ],
          }),
        );
        return 'renamed';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [, newReason, profileReason] = error.CancellationReasons ?? [];
        if (newReason?.Code === 'ConditionalCheckFailed') return 'held-by-other';
        if (profileReason?.Code === 'ConditionalCheckFailed') return 'stale';
        throw error;
      }
    },

    /**
     * Marks every alias and device claim of a now-identified profile `ownerIdentified = true`, so
     * its device ids stop matching cohort imports. Reads the profile's own lists (strongly
     * consistent) rather than the byProfile index, which may lag.
     */
    async markClaimsIdentified(workspaceId: string, brazeId: string): Promise<number> {
      const profile = await getProfile(workspaceId, brazeId);
      if (!profile || !isIdentified(profile)) return 0;
      const keys = profileIdentifierKeys(profile).filter((key) => !key.startsWith('ext#'));
      let marked = 0;
      for (const key of keys) {
        try {
          await db.send(
            new UpdateCommand({
              TableName: tables.aliases,
              Key: claimKey(workspaceId, key),
              UpdateExpression: 'SET ownerIdentified = :true',
              ConditionExpression: 'profileId = :me AND ownerIdentified <> :true',
              ExpressionAttributeValues: { ':me': brazeId, ':true': true },
            }),
          );
          marked += 1;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      return marked;
    },

    /**
     * The claims a profile holds now: keys from the profile item and from the byProfile index
     * (which may lag), each confirmed against the claim item itself.
     */
    async claimsOf(workspaceId: string, brazeId: string): Promise<Claim[]> {
      const keys = new Set<string>();
      const profile = await getProfile(workspaceId, brazeId);
      if (profile) for (const key of profileIdentifierKeys(profile)) keys.add(key);
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await db.send(
          new QueryCommand({
            TableName: tables.aliases,
            IndexName: 'byProfile',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': scoped(workspaceId, brazeId) },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of result.Items ?? []) keys.add(item.gsi1sk as string);
        startKey = result.LastEvaluatedKey;
      } while (startKey);
      const claims = await store.resolveClaims(workspaceId, [...keys]);
      return [...claims.values()].filter((claim) => claim.profileId === brazeId);
    },

    /**
     * Moves a claim from one profile to another (a merge): the claim item changes owner only if
     * `from` still holds it, and the target records the identifier under the same rules as a claim
     * (an alias only if it has none of that label, an external_id only if it has none).
     */
    async moveClaim(workspaceId: string, key: string, from: string, to: string, now: string): Promise<MoveOutcome> {
      const identifier = identifierFromKey(key);
      if (!identifier) return 'not-owner';
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const target = await getProfile(workspaceId, to);
        if (!target || !isLive(target)) return 'no-target';
        if (profileHas(target, identifier)) {
          // Already recorded on the target (a retry after a crash): only the claim item may lag.
          const outcome = await writeClaimItemOnly(workspaceId, key, from, target, now);
          return outcome;
        }
        if (identifier.kind === 'alias' && ownValue(target.aliases, identifier.label) !== undefined) return 'label-taken';
        if (identifier.kind === 'external_id' && target.externalId !== undefined) return 'label-taken';
        const outcome = await writeClaim(workspaceId, target, identifier, from, now);
        if (outcome === 'claimed') return 'moved';
        if (outcome === 'claim-failed') return 'not-owner';
      }
      throw new Error(`move of ${key} kept conflicting`);
    },

    /** Deletes a claim if `owner` still holds it. */
    async dropClaim(workspaceId: string, key: string, owner: string): Promise<void> {
      try {
        await db.send(
          new DeleteCommand({
            TableName: tables.aliases,
            Key: claimKey(workspaceId, key),
            ConditionExpression: 'profileId = :me',
            ExpressionAttributeValues: { ':me': owner },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    /**
     * Marks `orphan` as merged into `survivor` (creating a shell if the hub never saw the orphan, so
     * late events for it follow the survivor). Refused if it was deleted or merged elsewhere.
     */
    async markMerged(workspaceId: string, orphan: string, survivor: string, now: string): Promise<boolean> {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tables.users,
            Key: profileKey(workspaceId, orphan),
            UpdateExpression:
              'SET mergedInto = :s, updatedAt = :now, workspaceId = :ws, brazeId = :id, createdAt = if_not_exists(createdAt, :now), aliases = if_not_exists(aliases, :empty), deviceIds = if_not_exists(deviceIds, :none), identityVersion = if_not_exists(identityVersion, :zero)',
            ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(deletedAt) AND (attribute_not_exists(mergedInto) OR mergedInto = :s))',
            ExpressionAttributeValues: { ':s': survivor, ':now': now, ':ws': workspaceId, ':id': orphan, ':empty': {}, ':none': [], ':zero': 0 },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /**
     * Bulk load for a first setup: writes new profiles and their claim items with BatchWriteItem
     * (25 a call). No conditions are possible in a batch, so the caller must have checked that
     * the profiles do not exist and that no identifier is claimed (the import does, per chunk).
     */
    async putNewProfiles(
      workspaceId: string,
      records: readonly { brazeId: string; externalId?: string; aliases: Record<string, string>; deviceIds: readonly string[] }[],
      now: string,
      counter?: BatchWriteCounter,
    ): Promise<void> {
      const profiles = records.map((record) => ({
        PutRequest: {
          Item: {
            ...profileKey(workspaceId, record.brazeId),
            workspaceId,
            brazeId: record.brazeId,
            ...(record.externalId !== undefined ? { externalId: record.externalId } : {}),
            aliases: record.aliases,
            deviceIds: [...record.deviceIds],
            createdAt: now,
            updatedAt: now,
            identityVersion: 0,
          },
        },
      }));
      const claims = records.flatMap((record) => {
        const identified = record.externalId !== undefined;
        const profile = { externalId: record.externalId, aliases: record.aliases, deviceIds: [...record.deviceIds] } as Profile;
        return profileIdentifierKeys(profile).map((key) => ({ PutRequest: { Item: claimItem(workspaceId, key, record.brazeId, identified, now) } }));
      });
      // Claims first: a crash in between leaves claims whose profile is missing, which a re-run repairs.
      await batchWriteAll(db, tables.aliases, claims, counter, IMPORT_WRITE_CONCURRENCY);
      await batchWriteAll(db, tables.users, profiles, counter, IMPORT_WRITE_CONCURRENCY);
    },

    /**
     * Replaces a profile with a tombstone that keeps no identifier: `deletedAt` and the version of
     * the deletion, so late events are recognised and ignored instead of recreating the user.
     */
    async tombstone(workspaceId: string, brazeId: string, version: number, now: string): Promise<void> {
      await db.send(
        new PutCommand({
          TableName: tables.users,
          Item: { ...profileKey(workspaceId, brazeId), ...newProfile(workspaceId, brazeId, now, { deletedAt: now, identityVersion: version }) },
        }),
      );
    },
  } satisfies DirectoryPort & Record<string, unknown>;

  /** Repoints just the claim item (the target already lists the identifier). */
  const writeClaimItemOnly = async (workspaceId: string, key: string, from: string, target: Profile, now: string): Promise<MoveOutcome> => {
    try {
      await db.send(
        new PutCommand({
          TableName: tables.aliases,
          Item: claimItem(workspaceId, key, target.brazeId, isIdentified(target) || key.startsWith('ext#'), now),
          ConditionExpression: 'attribute_not_exists(pk) OR profileId = :from OR profileId = :to',
          ExpressionAttributeValues: { ':from': from, ':to': target.brazeId },
        }),
      );
      return 'moved';
    } catch (error) {
      if (isConditionFailure(error)) return 'not-owner';
      throw error;
    }
  };

  return store;
};

export type DirectoryStore = ReturnType<typeof directoryStore>;
