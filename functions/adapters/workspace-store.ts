/**
 * DynamoDB implementation of `WorkspaceStore`. Items in the workspaces table:
 * - `WS#<id>` / `META`: the workspace record;
 * - `NAME#<name>` / `NAME`: unique-name claim;
 * - `CRED#<kind>#<sha256>` / `CRED`: credential index, so authentication is one GetItem by hash.
 */
import { GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type CredentialRotation, type WorkspaceStore } from '../domain/ports';
import { constantTimeEqual } from '../shared/crypto';
import { ownValue } from '../shared/own';
import { HASHED_CREDENTIALS, workspaceRecordSchema, type HashedCredentialKind, type SigningKeyRecord, type WorkspaceRecord } from '../schemas/workspace';
import { conditionFailedAt, whenCondition } from './dynamo/conditions';
import { partnerKeyHashesItem, workspacePointerItem } from './dynamo/items';
import { credentialKey, META_SK, workspaceKey, workspaceNameKey, type ItemKey } from './dynamo/keys';
import { assignments, expressionParts } from './dynamo/update-expression';

/** At most this many Heap id_tokens are remembered per workspace. */
export const MAX_HEAP_ID_TOKENS_SEEN = 50;

const NOT_EXISTS = 'attribute_not_exists(pk)';

const get = async (db: DynamoDBDocumentClient, table: string, workspaceId: string): Promise<WorkspaceRecord | undefined> => {
  const result = await db.send(new GetCommand({ TableName: table, Key: workspaceKey(workspaceId), ConsistentRead: true }));
  return result.Item ? workspaceRecordSchema.parse(result.Item) : undefined;
};

/** The workspace a name claim or credential index entry points at. */
const followPointer = async (db: DynamoDBDocumentClient, table: string, key: ItemKey, consistent: boolean): Promise<WorkspaceRecord | undefined> => {
  const pointer = await db.send(new GetCommand({ TableName: table, Key: key, ...(consistent ? { ConsistentRead: true } : {}) }));
  return pointer.Item ? get(db, table, workspacePointerItem.parse(pointer.Item).workspaceId) : undefined;
};

/** Credential index hits kept per warm process (the `kind#hash` → workspace id pointer, not the record). */
export const CREDENTIAL_POINTER_TTL_MS = 10 * 60_000;
const MAX_CREDENTIAL_POINTERS = 10_000;
const credentialPointers = new Map<string, { readonly workspaceId: string; readonly at: number }>();

/** Forgets every cached credential pointer (tests). */
export const forgetCredentialPointers = (): void => credentialPointers.clear();

/** The record still lists this hash for this kind: current, or previous in a grace (whose expiry the domain checks on every read). */
const recordHolds = (record: WorkspaceRecord, kind: HashedCredentialKind, hash: string): boolean => {
  const current = record.credentialHashes[kind];
  const previous = record.credentialGrace?.[kind]?.hash;
  return (current !== undefined && constantTimeEqual(current, hash)) || (previous !== undefined && constantTimeEqual(previous, hash));
};

/**
 * The workspace a credential hash belongs to. A hit of the credential index is remembered per warm
 * process (credential → workspace id), so authentication is one GetItem of the record instead of
 * two. The pointer is only a hint: the record is read (strongly consistent) every time and must
 * still hold this hash for this kind (current, or previous in a grace), and `authenticate` checks
 * the grace's expiry on that same record, so a revoked or expired credential is refused on the
 * next request, exactly as without the cache; on a mismatch the pointer is dropped and the index read again.
 */
const findByCredentialHash = async (db: DynamoDBDocumentClient, table: string, kind: HashedCredentialKind, hash: string): Promise<WorkspaceRecord | undefined> => {
  const cacheKey = `${table}#${kind}#${hash}`;
  const cached = credentialPointers.get(cacheKey);
  if (cached && systemClock.now() - cached.at < CREDENTIAL_POINTER_TTL_MS) {
    const record = await get(db, table, cached.workspaceId);
    if (record && recordHolds(record, kind, hash)) return record;
    credentialPointers.delete(cacheKey);
  }
  const record = await followPointer(db, table, credentialKey(kind, hash), false);
  if (record) {
    if (credentialPointers.size >= MAX_CREDENTIAL_POINTERS) credentialPointers.clear();
    credentialPointers.set(cacheKey, { workspaceId: record.workspaceId, at: systemClock.now() });
  }
  return record;
};

/** The record, its name claim and its credential index entries, all new, in one transaction; false when the name is taken. */
const create = async (db: DynamoDBDocumentClient, table: string, record: WorkspaceRecord): Promise<boolean> => {
  const pointer = { workspaceId: record.workspaceId };
  const puts = [
    { ...workspaceKey(record.workspaceId), ...record },
    { ...workspaceNameKey(record.name), ...pointer },
    ...HASHED_CREDENTIALS.map((kind) => ({ ...credentialKey(kind, record.credentialHashes[kind] ?? ''), ...pointer })),
  ].map((Item) => ({ Put: { TableName: table, Item, ConditionExpression: NOT_EXISTS } }));
  try {
    await db.send(new TransactWriteCommand({ TransactItems: puts }));
    return true;
  } catch (error) {
    // CancellationReasons are in TransactItems order: index 1 is the name claim.
    if (conditionFailedAt(error, 1)) return false;
    throw error;
  }
};

/** Every workspace record (admin only: a Scan of a small table), ordered by name. */
const list = async (db: DynamoDBDocumentClient, table: string): Promise<WorkspaceRecord[]> => {
  const records: WorkspaceRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: table, FilterExpression: 'sk = :meta', ExpressionAttributeValues: { ':meta': META_SK }, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) records.push(workspaceRecordSchema.parse(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records.sort((a, b) => a.name.localeCompare(b.name));
};

/** The record's half of a rotation: the new hash, the grace entry (set or removed), the repinned partners, and their guards. */
const rotationUpdate = (table: string, rotation: CredentialRotation) => {
  const { kind, oldHash, newHash, graceUntil, graceAsRead } = rotation;
  const names: Record<string, string> = { '#kind': kind };
  const values: Record<string, unknown> = { ':new': newHash };
  const sets = ['credentialHashes.#kind = :new'];
  const removes: string[] = [];
  // Guards against two concurrent rotations both "succeeding" and leaving an orphan (or two first issues of a kind the workspace lacked).
  const conditions = [oldHash === undefined ? 'attribute_not_exists(credentialHashes.#kind)' : 'credentialHashes.#kind = :old'];
  if (oldHash !== undefined) values[':old'] = oldHash;
  const entry = oldHash !== undefined && graceUntil !== undefined ? { hash: oldHash, expiresAt: graceUntil } : undefined;
  if (graceAsRead === undefined) {
    // A record written before grace periods existed has no map yet: create it whole, once.
    if (entry) sets.push('credentialGrace = :graceMap');
    if (entry) values[':graceMap'] = { [kind]: entry };
    if (entry) conditions.push('attribute_not_exists(credentialGrace)');
  } else if (entry) {
    sets.push('credentialGrace.#kind = :grace');
    values[':grace'] = entry;
  } else {
    removes.push('credentialGrace.#kind');
  }
  rotation.repinPartners.forEach((partner, index) => {
    names[`#p${index}`] = partner;
    sets.push(`partnerKeyHashes.#p${index} = :new`);
    conditions.push(`partnerKeyHashes.#p${index} = :old`);
  });
  return {
    TableName: table,
    Key: workspaceKey(rotation.workspaceId),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

/**
 * One transaction: the index entries that stop working go (the old hash without a grace, and an
 * earlier rotation's previous value), the new one is put, the record updated under its guards.
 */
const rotateCredentialHash = async (db: DynamoDBDocumentClient, table: string, rotation: CredentialRotation): Promise<void> => {
  const { kind, oldHash, newHash, graceUntil, workspaceId } = rotation;
  const revoked = [...rotation.dropHashes, ...(oldHash !== undefined && graceUntil === undefined ? [oldHash] : [])];
  await db.send(
    new TransactWriteCommand({
      TransactItems: [
        ...revoked.map((hash) => ({ Delete: { TableName: table, Key: credentialKey(kind, hash) } })),
        { Put: { TableName: table, Item: { ...credentialKey(kind, newHash), workspaceId }, ConditionExpression: NOT_EXISTS } },
        { Update: rotationUpdate(table, rotation) },
      ],
    }),
  );
};

const update = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, changes: Record<string, unknown>): Promise<void> => {
  const fields = assignments('f', Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)));
  if (fields.clause === '') return;
  await db.send(
    new UpdateCommand({ TableName: table, Key: workspaceKey(workspaceId), UpdateExpression: `SET ${fields.clause}`, ConditionExpression: 'attribute_exists(pk)', ...expressionParts(fields) }),
  );
};

const pinPartnerKey = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, partner: string, hash: string): Promise<string | undefined> => {
  const result = await db.send(
    new UpdateCommand({
      TableName: table,
      Key: workspaceKey(workspaceId),
      // if_not_exists keeps the first pinned value: concurrent first uses agree on one winner.
      UpdateExpression: 'SET partnerKeyHashes.#p = if_not_exists(partnerKeyHashes.#p, :h)',
      ExpressionAttributeNames: { '#p': partner },
      ExpressionAttributeValues: { ':h': hash },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return ownValue(partnerKeyHashesItem.parse(result.Attributes ?? {}).partnerKeyHashes, partner);
};

const recordHeapIdToken = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, idToken: string): Promise<void> => {
  await whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: workspaceKey(workspaceId),
        UpdateExpression: 'SET heapIdTokensSeen = list_append(heapIdTokensSeen, :t)',
        // Bounded: the list lives in the workspace record every request reads (400 KB item limit);
        // tokens beyond the cap are simply not recorded.
        ConditionExpression: 'NOT contains(heapIdTokensSeen, :token) AND size(heapIdTokensSeen) < :max',
        ExpressionAttributeValues: { ':t': [idToken], ':token': idToken, ':max': MAX_HEAP_ID_TOKENS_SEEN },
      }),
    ),
  );
};

/** The signing key, written only where none is (the migration may run twice, or beside a creation). */
const setSigningKey = (db: DynamoDBDocumentClient, table: string, workspaceId: string, key: SigningKeyRecord): Promise<boolean> =>
  whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: workspaceKey(workspaceId),
        UpdateExpression: 'SET signingKey = :key',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(signingKey)',
        ExpressionAttributeValues: { ':key': key },
      }),
    ),
  );

export const dynamoWorkspaceStore = (db: DynamoDBDocumentClient, table: string): WorkspaceStore => ({
  get: (workspaceId) => get(db, table, workspaceId),
  create: (record) => create(db, table, record),
  getByName: (name) => followPointer(db, table, workspaceNameKey(name), true),
  findByCredentialHash: (kind, hash) => findByCredentialHash(db, table, kind, hash),
  list: () => list(db, table),
  rotateCredentialHash: (rotation) => rotateCredentialHash(db, table, rotation),
  update: (workspaceId, changes) => update(db, table, workspaceId, changes),
  pinPartnerKey: (workspaceId, partner, hash) => pinPartnerKey(db, table, workspaceId, partner, hash),
  recordHeapIdToken: (workspaceId, idToken) => recordHeapIdToken(db, table, workspaceId, idToken),
  setSigningKey: (workspaceId, key) => setSigningKey(db, table, workspaceId, key),
});
