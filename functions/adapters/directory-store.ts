/**
 * DynamoDB access to the user directory.
 * - users table: `<ws>#<brazeId>` / `PROFILE` — the profile.
 * - aliases table: `<ws>#<identifierKey>` / `CLAIM` — which profile holds an identifier
 *   (GSI `byProfile`: `<ws>#<brazeId>` / identifierKey lists a profile's identifiers).
 * Claims are transactional: the claim item and the profile change commit together or not at all,
 * so two profiles can never hold one identifier and a profile never holds two aliases of one label.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { identifierKey, scoped, type Identifier } from '../domain/identifiers';
import { claimSchema, isIdentified, profileSchema, type Claim, type Profile } from '../schemas/directory';

export interface DirectoryTables {
  readonly users: string;
  readonly aliases: string;
}

export type ClaimOutcome = 'claimed' | 'held-by-other' | 'label-taken' | 'external-id-differs' | 'no-profile';

export const profileKey = (workspaceId: string, brazeId: string) => ({ pk: scoped(workspaceId, brazeId), sk: 'PROFILE' });
export const claimKey = (workspaceId: string, key: string) => ({ pk: scoped(workspaceId, key), sk: 'CLAIM' });

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

export const directoryStore = (db: DynamoDBDocumentClient, tables: DirectoryTables) => ({
  /** Creates an empty profile; false if it already exists. */
  async createProfile(workspaceId: string, brazeId: string, now: string): Promise<boolean> {
    const profile: Profile = {
      workspaceId,
      brazeId,
      aliases: {},
      deviceIds: [],
      createdAt: now,
      updatedAt: now,
      identityVersion: 0,
    };
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
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  },

  async getProfile(workspaceId: string, brazeId: string): Promise<Profile | undefined> {
    const result = await db.send(
      new GetCommand({ TableName: tables.users, Key: profileKey(workspaceId, brazeId), ConsistentRead: true }),
    );
    return result.Item ? profileSchema.parse(result.Item) : undefined;
  },

  /**
   * Claims an identifier for a profile in one transaction:
   * 1. the claim item is written only if nobody holds it or this profile already does;
   * 2. the profile records it: an alias only if the profile has no alias with that label (or the
   *    same one), an external_id only if it has none (or the same).
   * A failed condition cancels both, and the cancellation reason says which rule refused it.
   */
  async claim(workspaceId: string, brazeId: string, identifier: Identifier, now: string): Promise<ClaimOutcome> {
    const key = identifierKey(identifier);
    const profile = await this.getProfile(workspaceId, brazeId);
    if (!profile) return 'no-profile';
    const claim: Claim = {
      workspaceId,
      key,
      profileId: brazeId,
      ownerIdentified: isIdentified(profile) || identifier.kind === 'external_id',
      claimedAt: now,
    };
    const profileUpdate = (() => {
      switch (identifier.kind) {
        case 'alias':
          return {
            UpdateExpression: 'SET aliases.#label = :name, updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(aliases.#label) OR aliases.#label = :name)',
            ExpressionAttributeNames: { '#label': identifier.label },
            ExpressionAttributeValues: { ':name': identifier.name, ':now': now },
          };
        case 'external_id':
          return {
            UpdateExpression: 'SET externalId = :value, updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(externalId) OR externalId = :value)',
            ExpressionAttributeValues: { ':value': identifier.value, ':now': now },
          };
        case 'device_id':
          return {
            UpdateExpression: 'SET deviceIds = list_append(deviceIds, :device), updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND NOT contains(deviceIds, :value)',
            ExpressionAttributeValues: { ':device': [identifier.value], ':value': identifier.value, ':now': now },
          };
      }
    })();
    try {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tables.aliases,
                Item: { ...claimKey(workspaceId, key), ...claim, gsi1pk: scoped(workspaceId, brazeId), gsi1sk: key },
                ConditionExpression: 'attribute_not_exists(pk) OR profileId = :me',
                ExpressionAttributeValues: { ':me': brazeId },
              },
            },
            { Update: { TableName: tables.users, Key: profileKey(workspaceId, brazeId), ...profileUpdate } },
          ],
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [claimReason, profileReason] = error.CancellationReasons ?? [];
      if (claimReason?.Code === 'ConditionalCheckFailed') return 'held-by-other';
      if (profileReason?.Code === 'ConditionalCheckFailed') {
        // The device id is already recorded on this profile: the claim is a no-op.
        if (identifier.kind === 'device_id') return 'claimed';
        return identifier.kind === 'alias' ? 'label-taken' : 'external-id-differs';
      }
      throw error;
    }
  },

  /** Looks up claims for many identifier keys with BatchGetItem (100 keys a call), retrying unprocessed keys. */
  async resolveClaims(workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>> {
    const found = new Map<string, Claim>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [tables.aliases]: { Keys: unique.slice(start, start + BATCH_GET_LIMIT).map((key) => claimKey(workspaceId, key)) },
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
});

export type DirectoryStore = ReturnType<typeof directoryStore>;
