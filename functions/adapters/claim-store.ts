/**
 * Identifier claims (aliases table: `<ws>#<identifierKey>` / `CLAIM`; index byProfile lists a
 * profile's claims). Whoever holds the claim item holds the identifier. A claim and the profile
 * change that records it commit in one transaction, so two profiles can never hold one identifier
 * and a profile never holds two aliases of one label. A device claim recorded as "owner anonymous"
 * is conditioned on the profile still having no external_id: a device id can never keep matching
 * after its owner was identified.
 */
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { identifierKey, type Identifier } from '../domain/identifiers';
import { ownValue } from '../shared/own';
import { claimSchema, isIdentified, isLive, type Claim, type Profile } from '../schemas/directory';
import { claimItem, profileHas, profileIdentifierKeys, profileUpdateFor, slotTaken } from './claim-items';
import { batchGetAll } from './dynamo/batch-get';
import { conditionFailedAt, whenCondition } from './dynamo/conditions';
import { claimListingItem, decodeAll } from './dynamo/items';
import { claimKey, claimsOfProfilePk, identifierFromKey, profileKey } from './dynamo/keys';
import { queryAll } from './dynamo/query';
import { getProfile } from './profile-store';
import type { ClaimOutcome, MoveOutcome } from '../domain/ports';

export interface DirectoryTables {
  readonly users: string;
  readonly aliases: string;
}

/** Re-reads after a condition failed because the profile changed under us (it became identified…). */
const MAX_ATTEMPTS = 4;

interface Context {
  readonly db: DynamoDBDocumentClient;
  readonly tables: DirectoryTables;
  readonly workspaceId: string;
}

const liveProfile = async ({ db, tables, workspaceId }: Context, brazeId: string): Promise<Profile | undefined> => {
  const profile = await getProfile(db, tables.users, workspaceId, brazeId);
  return profile && isLive(profile) ? profile : undefined;
};

/**
 * Whether a refused profile update can only have been refused by the alias label rule: the profile
 * is live and its identification state is the one the write was conditioned on (it only ever goes
 * from anonymous to identified, so a retry settles that). The read may not show the label that
 * refused it: the SDK unmarshals map keys by assignment, so an alias labelled `__proto__` is
 * dropped from every profile read and only DynamoDB's condition knows it is there.
 */
const refusedByLabel = (identifier: Identifier, written: Profile, fresh: Profile): boolean =>
  identifier.kind === 'alias' && isIdentified(written) === isIdentified(fresh);

/**
 * Writes a claim item for `target` plus the matching profile update in one transaction. The claim
 * item must be free or held by `expectedHolder`; the cancellation reason says which half refused.
 */
const writeClaim = async (
  { db, tables, workspaceId }: Context,
  target: Profile,
  identifier: Identifier,
  expectedHolder: string,
  now: string,
): Promise<'claimed' | 'claim-failed' | 'profile-failed'> => {
  const key = identifierKey(identifier);
  const ownerIdentified = isIdentified(target) || identifier.kind === 'external_id';
  const claimPut = {
    TableName: tables.aliases,
    Item: claimItem(workspaceId, key, target.brazeId, ownerIdentified, now),
    ConditionExpression: 'attribute_not_exists(pk) OR profileId = :holder',
    ExpressionAttributeValues: { ':holder': expectedHolder },
  };
  const profileUpdate = { TableName: tables.users, Key: profileKey(workspaceId, target.brazeId), ...profileUpdateFor(identifier, now, isIdentified(target)) };
  try {
    await db.send(new TransactWriteCommand({ TransactItems: [{ Put: claimPut }, { Update: profileUpdate }] }));
    return 'claimed';
  } catch (error) {
    if (conditionFailedAt(error, 0)) return 'claim-failed';
    if (conditionFailedAt(error, 1)) return 'profile-failed';
    throw error;
  }
};

/**
 * Claims an identifier for a profile in one transaction:
 * 1. the claim item is written only if nobody holds it or this profile already does;
 * 2. the profile records it: an alias only if the profile has no alias with that label (or the
 *    same one), an external_id only if it has none (or the same).
 * A failed condition cancels both, and the cancellation reason says which rule refused it. When
 * the profile changed under us (it was identified meanwhile) the claim is re-read and retried,
 * so a device claim is never left marked "owner anonymous" on an identified profile.
 */
const claim = async (context: Context, brazeId: string, identifier: Identifier, now: string): Promise<ClaimOutcome> => {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const profile = await liveProfile(context, brazeId);
    if (!profile) return 'no-profile';
    // A live profile's lists and its claim items change together, so this is already held.
    if (profileHas(profile, identifier)) return 'claimed';
    const outcome = await writeClaim(context, profile, identifier, brazeId, now);
    if (outcome === 'claimed') return 'claimed';
    if (outcome === 'claim-failed') return 'held-by-other';
    const fresh = await liveProfile(context, brazeId);
    if (!fresh) return 'no-profile';
    if (profileHas(fresh, identifier)) return 'claimed';
    if (identifier.kind === 'alias' && ownValue(fresh.aliases, identifier.label) !== undefined) return 'label-taken';
    if (identifier.kind === 'external_id' && fresh.externalId !== undefined) return 'external-id-differs';
    if (refusedByLabel(identifier, profile, fresh)) return 'label-taken';
    // The identification state changed between our read and the write: try again with it.
  }
  throw new Error(`claim of ${identifierKey(identifier)} kept conflicting`);
};

/** Repoints just the claim item (the target already lists the identifier). */
const writeClaimItemOnly = async ({ db, tables, workspaceId }: Context, key: string, from: string, target: Profile, now: string): Promise<MoveOutcome> => {
  const moved = await whenCondition(() =>
    db.send(
      new PutCommand({
        TableName: tables.aliases,
        Item: claimItem(workspaceId, key, target.brazeId, isIdentified(target) || key.startsWith('ext#'), now),
        ConditionExpression: 'attribute_not_exists(pk) OR profileId = :from OR profileId = :to',
        ExpressionAttributeValues: { ':from': from, ':to': target.brazeId },
      }),
    ),
  );
  return moved ? 'moved' : 'not-owner';
};

/**
 * Moves a claim from one profile to another (a merge): the claim item changes owner only if
 * `from` still holds it, and the target records the identifier under the same rules as a claim
 * (an alias only if it has none of that label, an external_id only if it has none).
 */
const moveClaim = async (context: Context, key: string, from: string, to: string, now: string): Promise<MoveOutcome> => {
  const identifier = identifierFromKey(key);
  if (!identifier) return 'not-owner';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const target = await liveProfile(context, to);
    if (!target) return 'no-target';
    // Already recorded on the target (a retry after a crash): only the claim item may lag.
    if (profileHas(target, identifier)) return writeClaimItemOnly(context, key, from, target, now);
    if (slotTaken(target, identifier)) return 'label-taken';
    const outcome = await writeClaim(context, target, identifier, from, now);
    if (outcome === 'claimed') return 'moved';
    if (outcome === 'claim-failed') return 'not-owner';
    const fresh = await liveProfile(context, to);
    if (!fresh) return 'no-target';
    if (!profileHas(fresh, identifier) && refusedByLabel(identifier, target, fresh)) return 'label-taken';
  }
  throw new Error(`move of ${key} kept conflicting`);
};

/** Looks up the claims of many identifier keys (consistent BatchGetItem, 100 keys a call). */
export const resolveClaims = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>> => {
  const items = await batchGetAll(db, table, [...new Set(keys)].map((key) => claimKey(workspaceId, key)), { consistency: 'strong' });
  return new Map(decodeAll(claimSchema, items).map((found) => [found.key, found]));
};

/**
 * The claims a profile holds now: keys from the profile item and from the byProfile index
 * (which may lag), each confirmed against the claim item itself.
 */
const claimsOf = async ({ db, tables, workspaceId }: Context, brazeId: string): Promise<Claim[]> => {
  const profile = await getProfile(db, tables.users, workspaceId, brazeId);
  const indexed = await queryAll(db, {
    TableName: tables.aliases,
    IndexName: 'byProfile',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': claimsOfProfilePk(workspaceId, brazeId) },
  });
  const keys = new Set([...(profile ? profileIdentifierKeys(profile) : []), ...decodeAll(claimListingItem, indexed).map((item) => item.gsi1sk)]);
  const claims = await resolveClaims(db, tables.aliases, workspaceId, [...keys]);
  return [...claims.values()].filter((held) => held.profileId === brazeId);
};

/** Deletes a claim if `owner` still holds it. */
const dropClaim = async ({ db, tables, workspaceId }: Context, key: string, owner: string): Promise<void> => {
  await whenCondition(() =>
    db.send(
      new DeleteCommand({
        TableName: tables.aliases,
        Key: claimKey(workspaceId, key),
        ConditionExpression: 'profileId = :me',
        ExpressionAttributeValues: { ':me': owner },
      }),
    ),
  );
};

/**
 * Marks every alias and device claim of a now-identified profile `ownerIdentified = true`, so
 * its device ids stop matching cohort imports. Reads the profile's own lists (strongly
 * consistent) rather than the byProfile index, which may lag.
 */
const markClaimsIdentified = async ({ db, tables, workspaceId }: Context, brazeId: string): Promise<number> => {
  const profile = await getProfile(db, tables.users, workspaceId, brazeId);
  if (!profile || !isIdentified(profile)) return 0;
  let marked = 0;
  for (const key of profileIdentifierKeys(profile).filter((each) => !each.startsWith('ext#'))) {
    const changed = await whenCondition(() =>
      db.send(
        new UpdateCommand({
          TableName: tables.aliases,
          Key: claimKey(workspaceId, key),
          UpdateExpression: 'SET ownerIdentified = :true',
          ConditionExpression: 'profileId = :me AND ownerIdentified <> :true',
          ExpressionAttributeValues: { ':me': brazeId, ':true': true },
        }),
      ),
    );
    if (changed) marked += 1;
  }
  return marked;
};

/** Claim operations over the aliases table (and the users table, which each claim transaction updates). */
export const dynamoClaimStore = (db: DynamoDBDocumentClient, tables: DirectoryTables) => {
  const at = (workspaceId: string): Context => ({ db, tables, workspaceId });
  return {
    claim: (workspaceId: string, brazeId: string, identifier: Identifier, now: string) => claim(at(workspaceId), brazeId, identifier, now),
    resolveClaims: (workspaceId: string, keys: readonly string[]) => resolveClaims(db, tables.aliases, workspaceId, keys),
    claimsOf: (workspaceId: string, brazeId: string) => claimsOf(at(workspaceId), brazeId),
    moveClaim: (workspaceId: string, key: string, from: string, to: string, now: string) => moveClaim(at(workspaceId), key, from, to, now),
    dropClaim: (workspaceId: string, key: string, owner: string) => dropClaim(at(workspaceId), key, owner),
    markClaimsIdentified: (workspaceId: string, brazeId: string) => markClaimsIdentified(at(workspaceId), brazeId),
  };
};
