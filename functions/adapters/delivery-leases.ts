/**
 * The `DeliveryLeases` port over the idempotency table (processing state, not data: never exported):
 * one item `abtasty#<ws>#<account>#<partner>` per partner with the lease (`leaseId`, `leaseUntil`),
 * the start of the newest settled push (`settledFrom`) and the newest request handed to a running
 * push (`pendingSince`), all epoch ms; `expiration` (TTL) forgets partners unused for 90 days.
 * Every step is one conditional UpdateItem, so two workers never both hold the lease, and a request
 * recorded as pending is either seen by the holder's release or finds the lease free.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryLeases, DeliveryState, LeaseClaim } from '../domain/ports';
import { isConditionFailure, whenCondition } from './dynamo/conditions';
import { deliveryStateItem } from './dynamo/items';
import { abTastyDeliveryStateId } from './dynamo/keys';

const STATE_MEMORY_SECONDS = 90 * 24 * 3600;
/** Claim rounds before giving up (each round means the lease was freed or taken in between). */
const CLAIM_ROUNDS = 3;

const stateOf = (attributes: Record<string, unknown> | undefined): DeliveryState => {
  const item = deliveryStateItem.parse(attributes ?? {});
  return { ...(item.settledFrom === undefined ? {} : { settledFrom: item.settledFrom }), ...(item.pendingSince === undefined ? {} : { pendingSince: item.pendingSince }) };
};

type Claim = Parameters<DeliveryLeases['claim']>[1];
type Table = { readonly db: DynamoDBDocumentClient; readonly table: string };

const read = async ({ db, table }: Table, key: string) => {
  const result = await db.send(new GetCommand({ TableName: table, Key: { id: abTastyDeliveryStateId(key) }, ConsistentRead: true }));
  return deliveryStateItem.parse(result.Item ?? {});
};

/** Takes a free or expired lease; undefined when a live one is held. */
const take = async ({ db, table }: Table, key: string, lease: Claim): Promise<LeaseClaim | undefined> => {
  try {
    const taken = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { id: abTastyDeliveryStateId(key) },
        UpdateExpression: 'SET leaseId = :id, leaseUntil = :until, expiration = :expiration',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeValues: { ':id': lease.id, ':until': lease.until, ':now': lease.now, ':expiration': Math.floor(lease.now / 1000) + STATE_MEMORY_SECONDS },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { kind: 'claimed', state: stateOf(taken.Attributes) };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
};

/** Records the request for the live holder; false when the lease is no longer live (or a newer request is already recorded). */
const handOver = ({ db, table }: Table, key: string, lease: Claim): Promise<boolean> =>
  whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { id: abTastyDeliveryStateId(key) },
        UpdateExpression: 'SET pendingSince = :requested',
        ConditionExpression: 'leaseUntil >= :now AND (attribute_not_exists(pendingSince) OR pendingSince < :requested)',
        ExpressionAttributeValues: { ':requested': lease.requestedAt, ':now': lease.now },
      }),
    ),
  );

const claim = async (at: Table, key: string, lease: Claim): Promise<LeaseClaim> => {
  for (let round = 0; round < CLAIM_ROUNDS; round += 1) {
    const claimed = await take(at, key, lease);
    if (claimed) return claimed;
    if (await handOver(at, key, lease)) return { kind: 'busy' };
    // Refused: either a newer request is already pending for a live holder (done), or the lease was freed meanwhile (take it).
    const current = await read(at, key);
    if (current.leaseUntil !== undefined && current.leaseUntil >= lease.now) return { kind: 'busy' };
  }
  throw new Error('AB Tasty delivery lease: contended on every round');
};

const release = async (at: Table, key: string, lease: Parameters<DeliveryLeases['release']>[1]): Promise<DeliveryState> => {
  const settle = lease.settledFrom !== undefined;
  try {
    const released = await at.db.send(
      new UpdateCommand({
        TableName: at.table,
        Key: { id: abTastyDeliveryStateId(key) },
        UpdateExpression: `REMOVE leaseId, leaseUntil${settle ? ' SET settledFrom = :settled' : ''}`,
        ConditionExpression: 'leaseId = :id',
        ExpressionAttributeValues: { ':id': lease.id, ...(settle ? { ':settled': lease.settledFrom } : {}) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return stateOf(released.Attributes);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The lease expired and another push holds it now: leave it alone.
    return stateOf(await read(at, key));
  }
};

export const dynamoDeliveryLeases = (db: DynamoDBDocumentClient, table: string): DeliveryLeases => ({
  claim: (key, lease) => claim({ db, table }, key, lease),
  release: (key, lease) => release({ db, table }, key, lease),
});
