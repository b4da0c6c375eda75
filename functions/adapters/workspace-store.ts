/**
 * DynamoDB implementation of `WorkspaceStore`. Items in the workspaces table:
 * - `WS#<id>` / `META`: the workspace record;
 * - `NAME#<name>` / `NAME`: unique-name claim;
 * - `CRED#<kind>#<sha256>` / `CRED`: credential index, so authentication is one GetItem by hash.
 */
import { GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type WorkspaceStore } from '../domain/ports';
import { constantTimeEqual } from '../shared/crypto';
import { ownValue } from '../shared/own';
import { HASHED_CREDENTIALS, workspaceRecordSchema, type HashedCredentialKind, type WorkspaceRecord } from '../schemas/workspace';
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

/**
 * The workspace a credential hash belongs to. A hit of the credential index is remembered per warm
 * process (credential → workspace id), so authentication is one GetItem of the record instead of
 * two. The pointer is only a hint: the record is read (strongly consistent) every time and must
 * still hold this hash for this kind, so a rotated-out credential is refused at once, exactly as
 * without the cache; on a mismatch the pointer is dropped and the index read again.
 */
const findByCredentialHash = async (db: DynamoDBDocumentClient, table: string, kind: HashedCredentialKind, hash: string): Promise<WorkspaceRecord | undefined> => {
  const cacheKey = `${table}#${kind}#${hash}`;
  const cached = credentialPointers.get(cacheKey);
  if (cached && systemClock.now() - cached.at < CREDENTIAL_POINTER_TTL_MS) {
    const record = await get(db, table, cached.workspaceId);
    const stored = record?.credentialHashes[kind];
    if (record && stored !== undefined && constantTimeEqual(stored, hash)) return record;
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

const replaceCredentialHash = async (db: DynamoDBDocumentClient, table: string, workspaceId: string, kind: HashedCredentialKind, oldHash: string | undefined, newHash: string) => {
  const guardedUpdate = {
    TableName: table,
    Key: workspaceKey(workspaceId),
    UpdateExpression: 'SET credentialHashes.#kind = :new',
    // Guards against two concurrent rotations both "succeeding" and leaving an orphan (or two first issues of a kind the workspace lacked).
    ConditionExpression: oldHash === undefined ? 'attribute_not_exists(credentialHashes.#kind)' : 'credentialHashes.#kind = :old',
    ExpressionAttributeNames: { '#kind': kind },
    ExpressionAttributeValues: { ':new': newHash, ...(oldHash === undefined ? {} : { ':old': oldHash }) },
  };
  await db.send(
    new TransactWriteCommand({
      TransactItems: [
        ...(oldHash === undefined ? [] : [{ Delete: { TableName: table, Key: credentialKey(kind, oldHash) } }]),
        { Put: { TableName: table, Item: { ...credentialKey(kind, newHash), workspaceId }, ConditionExpression: NOT_EXISTS } },
        { Update: guardedUpdate },
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

export const dynamoWorkspaceStore = (db: DynamoDBDocumentClient, table: string): WorkspaceStore => ({
  get: (workspaceId) => get(db, table, workspaceId),
  create: (record) => create(db, table, record),
  getByName: (name) => followPointer(db, table, workspaceNameKey(name), true),
  findByCredentialHash: (kind, hash) => findByCredentialHash(db, table, kind, hash),
  list: () => list(db, table),
  replaceCredentialHash: (workspaceId, kind, oldHash, newHash) => replaceCredentialHash(db, table, workspaceId, kind, oldHash, newHash),
  update: (workspaceId, changes) => update(db, table, workspaceId, changes),
  pinPartnerKey: (workspaceId, partner, hash) => pinPartnerKey(db, table, workspaceId, partner, hash),
  recordHeapIdToken: (workspaceId, idToken) => recordHeapIdToken(db, table, workspaceId, idToken),
});
