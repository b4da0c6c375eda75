/**
 * Many-profile directory writes in few requests: new profiles with their claims, and identity
 * version confirmations, each packed into TransactWriteItems of up to 100 actions. A transaction
 * is all or nothing: when DynamoDB cancels one, the actions that failed their condition are
 * settled by that answer (the profile exists, an identifier is held, the version is already
 * newer) and the rest are sent again; what contention leaves undecided goes one at a time.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { newProfile, profileSchema } from '../schemas/directory';
import { claimItem, profileIdentifierKeys } from './claim-items';
import type { DirectoryTables } from './claim-store';
import { isTransactionCancelled } from './dynamo/conditions';
import { profileKey } from './dynamo/keys';
import { backoff } from './dynamo/retry';
import { bumpIdentityVersion, LIVE_PROFILE, profileItem } from './profile-store';
import type { CreateOutcome, NewIdentity } from '../domain/ports';

/** TransactWriteItems' limit on actions. */
const MAX_ACTIONS = 100;
/** Transactions sent for one chunk before what is left is handed back undecided. */
const MAX_ROUNDS = 4;

/** One unit's actions (a profile and its claims, or one update) travel in the same transaction. */
type Action = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
interface Unit {
  readonly id: string;
  readonly actions: Action[];
}
type Reasons = readonly CancellationReason[];

/** Packs units into chunks of at most MAX_ACTIONS actions, in order. */
export const chunkUnits = (units: readonly Unit[]): Unit[][] => {
  const chunks: Unit[][] = [];
  let current: Unit[] = [];
  let size = 0;
  for (const unit of units) {
    if (size + unit.actions.length > MAX_ACTIONS && current.length > 0) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(unit);
    size += unit.actions.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};

/**
 * Sends a chunk until it commits, or nothing in it is left: `settle` is told of every unit with an
 * action refused by its condition (with that action's reason, in unit order) and drops it. Returns
 * the units left undecided by contention (none once it committed).
 */
const sendChunk = async (db: DynamoDBDocumentClient, chunk: readonly Unit[], settle: (unit: Unit, reasons: Reasons) => void): Promise<Unit[]> => {
  let pending = [...chunk];
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round += 1) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: pending.flatMap((unit) => unit.actions) }));
      return [];
    } catch (error) {
      if (!isTransactionCancelled(error)) throw error;
      const reasons = error.CancellationReasons ?? [];
      let offset = 0;
      const next: Unit[] = [];
      for (const unit of pending) {
        const own = reasons.slice(offset, offset + unit.actions.length);
        offset += unit.actions.length;
        if (own.some((reason) => reason.Code === 'ConditionalCheckFailed')) settle(unit, own);
        else next.push(unit);
      }
      // Nothing refused by a condition: contention (a concurrent transaction); wait a little.
      if (next.length === pending.length) await backoff(round, 25, 400);
      pending = next;
    }
  }
  return pending;
};

/** New profiles and all their claims, each claim conditioned on being free (adapters/profile-claims.ts `createProfileWithIdentifiers`, batched). */
export const createProfilesWithIdentifiers = async (
  db: DynamoDBDocumentClient,
  tables: DirectoryTables,
  workspaceId: string,
  identities: ReadonlyMap<string, NewIdentity>,
  now: string,
): Promise<Map<string, CreateOutcome>> => {
  const outcomes = new Map<string, CreateOutcome>();
  const units: Unit[] = [...identities].map(([brazeId, identity]) => {
    const profile = newProfile(workspaceId, brazeId, now, identity);
    const profilePut = { TableName: tables.users, Item: profileItem(profile), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
    const claims = profileIdentifierKeys(profile).map((key) => ({
      Put: { TableName: tables.aliases, Item: claimItem(workspaceId, key, brazeId, identity.externalId !== undefined, now), ConditionExpression: 'attribute_not_exists(pk)' },
    }));
    return { id: brazeId, actions: [{ Put: profilePut }, ...claims] };
  });
  const settle = (unit: Unit, reasons: Reasons) => {
    const [profileReason] = reasons;
    if (profileReason?.Code !== 'ConditionalCheckFailed') return outcomes.set(unit.id, 'conflict');
    const parsed = profileReason.Item ? profileSchema.safeParse(unmarshall(profileReason.Item)) : undefined;
    return outcomes.set(unit.id, parsed?.success ? { exists: parsed.data } : 'exists');
  };
  for (const chunk of chunkUnits(units.filter((unit) => unit.actions.length <= MAX_ACTIONS))) {
    const undecided = new Set((await sendChunk(db, chunk, settle)).map((unit) => unit.id));
    for (const unit of chunk) if (!outcomes.has(unit.id) && !undecided.has(unit.id)) outcomes.set(unit.id, 'created');
  }
  return outcomes;
};

/** Confirmations of identity facts (profile-store.ts `bumpIdentityVersion`, batched): never backwards, only on live profiles. */
export const bumpIdentityVersions = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, versions: ReadonlyMap<string, number>): Promise<void> => {
  const units: Unit[] = [...versions].map(([brazeId, version]) => ({
    id: brazeId,
    actions: [
      {
        Update: {
          TableName: table,
          Key: profileKey(workspaceId, brazeId),
          UpdateExpression: 'SET identityVersion = :v',
          ConditionExpression: `${LIVE_PROFILE} AND identityVersion < :v`,
          ExpressionAttributeValues: { ':v': version },
        },
      },
    ],
  }));
  for (const chunk of chunkUnits(units)) {
    // A refused confirmation needs nothing more: the profile is gone or already newer.
    const undecided = await sendChunk(db, chunk, () => undefined);
    for (const unit of undecided) await bumpIdentityVersion(db, table, workspaceId, unit.id, versions.get(unit.id) ?? 0);
  }
};
