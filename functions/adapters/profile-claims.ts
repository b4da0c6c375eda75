/**
 * Writes that create or change a profile together with its claims (users + aliases tables):
 * a new profile with all its identifiers, an external_id rename, and the bulk load of a first setup.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { identifierKey } from '../domain/identifiers';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { newProfile, profileSchema, type Profile } from '../schemas/directory';
import { claimItem, profileIdentifierKeys } from './claim-items';
import type { DirectoryTables } from './claim-store';
import { batchWriteAll, putRequests, type BatchWriteCounter } from './dynamo/batch-write';
import { anyConditionFailedFrom, conditionFailedAt, isTransactionCancelled } from './dynamo/conditions';
import { claimKey, profileKey } from './dynamo/keys';
import { LIVE_PROFILE, profileItem } from './profile-store';
import type { RenameOutcome } from '../domain/ports';

/** BatchWriteItem calls in flight during a bulk import. */
const IMPORT_WRITE_CONCURRENCY = 4;
/** TransactWriteItems takes 100 actions: the profile and at most 99 claims. */
const MAX_CLAIMS_PER_TRANSACTION = 99;

export interface NewProfileRecord {
  readonly brazeId: string;
  readonly externalId?: string;
  readonly aliases: Record<string, string>;
  readonly deviceIds: readonly string[];
}

/**
 * Fast path for a braze_id seen for the first time: the profile and all its claims in one
 * transaction, each claim conditioned on being free. 'exists' when the profile is already
 * there, 'conflict' when another profile holds one of the identifiers (the caller then takes
 * the step-by-step path, where the orphan rule applies).
 */
export const createProfileWithIdentifiers = async (
  db: DynamoDBDocumentClient,
  tables: DirectoryTables,
  workspaceId: string,
  brazeId: string,
  identity: { externalId?: string; deviceIds: readonly string[]; identityVersion: number },
  now: string,
): Promise<'created' | 'exists' | 'conflict' | { readonly exists: Profile }> => {
  const profile = newProfile(workspaceId, brazeId, now, identity);
  const keys = profileIdentifierKeys(profile);
  if (keys.length > MAX_CLAIMS_PER_TRANSACTION) return 'conflict';
  // ALL_OLD: a profile created meanwhile comes back in the cancellation reason, no re-read needed.
  const profilePut = { TableName: tables.users, Item: profileItem(profile), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
  const claimPuts = keys.map((key) => ({
    Put: { TableName: tables.aliases, Item: claimItem(workspaceId, key, brazeId, identity.externalId !== undefined, now), ConditionExpression: 'attribute_not_exists(pk)' },
  }));
  try {
    await db.send(new TransactWriteCommand({ TransactItems: [{ Put: profilePut }, ...claimPuts] }));
    return 'created';
  } catch (error) {
    if (conditionFailedAt(error, 0)) return existingProfile(error) ?? 'exists';
    if (anyConditionFailedFrom(error, 1)) return 'conflict';
    throw error;
  }
};

/** The profile a cancelled create found in its place (ReturnValuesOnConditionCheckFailure), if DynamoDB sent it. */
const existingProfile = (error: unknown): { exists: Profile } | undefined => {
  const item = isTransactionCancelled(error) ? error.CancellationReasons?.[0]?.Item : undefined;
  if (!item) return undefined;
  const parsed = profileSchema.safeParse(unmarshall(item));
  return parsed.success ? { exists: parsed.data } : undefined;
};

/**
 * Changes a profile's external_id (Braze renamed it), only if `version` is newer than every
 * identity fact applied so far: releases the old claim, takes the new one, all or nothing.
 */
export const renameExternalId = async (
  db: DynamoDBDocumentClient,
  tables: DirectoryTables,
  change: { workspaceId: string; brazeId: string; from: string; to: string; version: number; now: string },
): Promise<RenameOutcome> => {
  const { workspaceId, brazeId, from, to, version, now } = change;
  const mine = { ConditionExpression: 'attribute_not_exists(pk) OR profileId = :me', ExpressionAttributeValues: { ':me': brazeId } };
  const releaseOld = { TableName: tables.aliases, Key: claimKey(workspaceId, identifierKey({ kind: 'external_id', value: from })), ...mine };
  const takeNew = { TableName: tables.aliases, Item: claimItem(workspaceId, identifierKey({ kind: 'external_id', value: to }), brazeId, true, now), ...mine };
  const updateProfile = {
    TableName: tables.users,
    Key: profileKey(workspaceId, brazeId),
    UpdateExpression: 'SET externalId = :to, identityVersion = :v, updatedAt = :now',
    ConditionExpression: `${LIVE_PROFILE} AND externalId = :from AND identityVersion < :v`,
    ExpressionAttributeValues: { ':to': to, ':from': from, ':v': version, ':now': now },
  };
  try {
    await db.send(new TransactWriteCommand({ TransactItems: [{ Delete: releaseOld }, { Put: takeNew }, { Update: updateProfile }] }));
    return 'renamed';
  } catch (error) {
    if (conditionFailedAt(error, 1)) return 'held-by-other';
    if (conditionFailedAt(error, 2)) return 'stale';
    throw error;
  }
};

/**
 * Bulk load for a first setup: writes new profiles and their claim items with BatchWriteItem
 * (25 a call). No conditions are possible in a batch, so the caller must have checked that
 * the profiles do not exist and that no identifier is claimed (the import does, per chunk).
 */
export const putNewProfiles = async (
  db: DynamoDBDocumentClient,
  tables: DirectoryTables,
  workspaceId: string,
  records: readonly NewProfileRecord[],
  now: string,
  counter?: BatchWriteCounter,
): Promise<void> => {
  const profiles = records.map((record) =>
    profileItem({ ...newProfile(workspaceId, record.brazeId, now, { externalId: record.externalId, deviceIds: record.deviceIds }), aliases: record.aliases }),
  );
  const claims = records.flatMap((record) =>
    profileIdentifierKeys({ externalId: record.externalId, aliases: record.aliases, deviceIds: [...record.deviceIds] }).map((key) => claimItem(workspaceId, key, record.brazeId, record.externalId !== undefined, now)),
  );
  // Claims first: a crash in between leaves claims whose profile is missing, which a re-run repairs.
  await batchWriteAll(db, tables.aliases, putRequests(claims), counter, IMPORT_WRITE_CONCURRENCY);
  await batchWriteAll(db, tables.users, putRequests(profiles), counter, IMPORT_WRITE_CONCURRENCY);
};
