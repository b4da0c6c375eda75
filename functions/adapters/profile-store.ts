/**
 * Profiles in the users table (`<ws>#<brazeId>` / `PROFILE`). Every profile write is conditioned on
 * the profile being live (not merged, not deleted), except the merge and tombstone themselves.
 * The writes that also move identifier claims live in claim-store.ts (one transaction each).
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newProfile, profileSchema, type Profile } from '../schemas/directory';
import { batchGetAll, type Consistency } from './dynamo/batch-get';
import { whenCondition } from './dynamo/conditions';
import { decodeAll } from './dynamo/items';
import { profileKey } from './dynamo/keys';
import type { ProfileReader } from '../domain/ports';

/** Condition of every write to a live profile. */
export const LIVE_PROFILE = 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(deletedAt)';

/** BatchGetItem calls in flight for a many-profile read that need not be consistent (≤ 10 for 1,000 ids). */
const EVENTUAL_READ_LANES = 10;

/** Counts BatchGetItem calls, for benchmarks. */
export interface ProfileReadCounter {
  batchGet: number;
}

/** The profile item: key attributes plus the profile. */
export const profileItem = (profile: Profile): Record<string, unknown> => ({ ...profileKey(profile.workspaceId, profile.brazeId), ...profile });

export const getProfile = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, brazeId: string): Promise<Profile | undefined> => {
  const result = await db.send(new GetCommand({ TableName: table, Key: profileKey(workspaceId, brazeId), ConsistentRead: true }));
  return result.Item ? profileSchema.parse(result.Item) : undefined;
};

/**
 * Many profiles by braze id (missing ids are absent from the map). Strong reads go one call at a
 * time (the directory's rules re-read what they write); eventual ones, for matching and listing,
 * several at once.
 */
export const getProfiles = async (
  db: DynamoDBDocumentClient,
  table: string,
  workspaceId: string,
  brazeIds: readonly string[],
  consistency: Consistency,
  counter?: ProfileReadCounter,
): Promise<Map<string, Profile>> => {
  const keys = [...new Set(brazeIds)].map((id) => profileKey(workspaceId, id));
  const concurrency = consistency === 'strong' ? 1 : EVENTUAL_READ_LANES;
  const items = await batchGetAll(db, table, keys, { consistency, concurrency, ...(counter ? { counter } : {}) });
  return new Map(decodeAll(profileSchema, items).map((profile) => [profile.brazeId, profile]));
};

/** Creates an empty profile; false if it already exists. */
const createProfile = (db: DynamoDBDocumentClient, table: string, workspaceId: string, brazeId: string, now: string): Promise<boolean> =>
  whenCondition(() =>
    db.send(new PutCommand({ TableName: table, Item: profileItem(newProfile(workspaceId, brazeId, now)), ConditionExpression: 'attribute_not_exists(pk)' })),
  );

/** Records that identity facts up to `version` (event time, ms) were seen; never moves backwards. */
export const bumpIdentityVersion = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, brazeId: string, version: number): Promise<void> => {
  await whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: profileKey(workspaceId, brazeId),
        UpdateExpression: 'SET identityVersion = :v',
        ConditionExpression: `${LIVE_PROFILE} AND identityVersion < :v`,
        ExpressionAttributeValues: { ':v': version },
      }),
    ),
  );
};

/**
 * Marks `orphan` as merged into `survivor` (creating a shell if the hub never saw the orphan, so
 * late events for it follow the survivor). Refused if it was deleted or merged elsewhere.
 */
const markMerged = (db: DynamoDBDocumentClient, table: string, workspaceId: string, orphan: string, survivor: string, now: string): Promise<boolean> =>
  whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: profileKey(workspaceId, orphan),
        UpdateExpression:
          'SET mergedInto = :s, updatedAt = :now, workspaceId = :ws, brazeId = :id, createdAt = if_not_exists(createdAt, :now), aliases = if_not_exists(aliases, :empty), deviceIds = if_not_exists(deviceIds, :none), identityVersion = if_not_exists(identityVersion, :zero)',
        ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(deletedAt) AND (attribute_not_exists(mergedInto) OR mergedInto = :s))',
        ExpressionAttributeValues: { ':s': survivor, ':now': now, ':ws': workspaceId, ':id': orphan, ':empty': {}, ':none': [], ':zero': 0 },
      }),
    ),
  );

/**
 * Replaces a profile with a tombstone that keeps no identifier: `deletedAt` and the version of
 * the deletion, so late events are recognised and ignored instead of recreating the user.
 */
const tombstone = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, brazeId: string, version: number, now: string): Promise<void> => {
  await db.send(new PutCommand({ TableName: table, Item: profileItem(newProfile(workspaceId, brazeId, now, { deletedAt: now, identityVersion: version })) }));
};

/** The profile side of the directory (users table). */
export const dynamoProfileStore = (db: DynamoDBDocumentClient, table: string) => ({
  getProfile: (workspaceId: string, brazeId: string) => getProfile(db, table, workspaceId, brazeId),
  /** Strongly consistent. */
  getProfiles: (workspaceId: string, brazeIds: readonly string[]) => getProfiles(db, table, workspaceId, brazeIds, 'strong'),
  createProfile: (workspaceId: string, brazeId: string, now: string) => createProfile(db, table, workspaceId, brazeId, now),
  bumpIdentityVersion: (workspaceId: string, brazeId: string, version: number) => bumpIdentityVersion(db, table, workspaceId, brazeId, version),
  markMerged: (workspaceId: string, orphan: string, survivor: string, now: string) => markMerged(db, table, workspaceId, orphan, survivor, now),
  tombstone: (workspaceId: string, brazeId: string, version: number, now: string) => tombstone(db, table, workspaceId, brazeId, version, now),
});

/** Eventually consistent batch reads of profiles, for the cohort worker (following merges) and the read API (member pages). */
export const dynamoProfileReader = (
  db: DynamoDBDocumentClient,
  table: string,
  counter: ProfileReadCounter = { batchGet: 0 },
): ProfileReader & { counter: ProfileReadCounter } => ({
  counter,
  getProfiles: (workspaceId, brazeIds) => getProfiles(db, table, workspaceId, brazeIds, 'eventual', counter),
});
