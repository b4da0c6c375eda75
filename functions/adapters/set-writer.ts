/**
 * Writes of set metadata (cohorts table, `<set pk>` / `META`): create or rename a cohort or
 * segment. Member items are written by the membership engine (membership-store.ts), Heap sync
 * state by heap-segment-store.ts.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SetRef } from '../domain/membership';
import { whenCondition } from './dynamo/conditions';
import { setListPk, setMetaKey } from './dynamo/keys';
import { assignments, expressionParts } from './dynamo/update-expression';
import type { SetWriter } from '../domain/ports';

type SetFields = Parameters<SetWriter['upsertSet']>[1];

/**
 * Creates or renames a set. `createdAt` keeps the first value (if_not_exists), the name follows
 * the newest call (or only fills a missing one with `keepName`), and the META item joins the
 * workspace's set list in the byMember index. `extra` attributes are set as given.
 */
const upsertSet = async (db: DynamoDBDocumentClient, table: string, set: SetRef, fields: SetFields): Promise<void> => {
  const extra = assignments('x', fields.extra ?? {});
  const named = fields.name !== undefined;
  const nameClause = !named ? '' : fields.keepName ? ', #name = if_not_exists(#name, :name)' : ', #name = :name';
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: setMetaKey(set),
      UpdateExpression:
        `SET workspaceId = :ws, setKind = :kind, setId = :sid, createdAt = if_not_exists(createdAt, :created), updatedAt = :now, memberCount = if_not_exists(memberCount, :zero), gsi1pk = :list, gsi1sk = :sid${nameClause}` +
        (extra.clause ? `, ${extra.clause}` : ''),
      ...expressionParts(
        {
          names: named ? { '#name': 'name' } : {},
          values: {
            ':ws': set.workspaceId,
            ':kind': set.kind,
            ':sid': set.setId,
            ':created': fields.createdAt,
            ':now': fields.now,
            ':zero': 0,
            ':list': setListPk(set.workspaceId, set.kind),
            ...(named ? { ':name': fields.name } : {}),
          },
        },
        extra,
      ),
    }),
  );
};

/**
 * Renames a set only if `version` is newer than the version of the current name, so a late,
 * older rename can never overwrite a newer one. A provisional name (set by `upsertSet` without a
 * version) always yields. Returns false when the rename was older and ignored.
 */
const renameSet = (db: DynamoDBDocumentClient, table: string, set: SetRef, name: string, version: string, now: string): Promise<boolean> =>
  whenCondition(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: setMetaKey(set),
        UpdateExpression: 'SET #name = :name, nameVersion = :v, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(nameVersion) OR nameVersion < :v)',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': name, ':v': version, ':now': now },
      }),
    ),
  );

export const dynamoSetWriter = (db: DynamoDBDocumentClient, table: string) =>
  ({
    upsertSet: (set: SetRef, fields: SetFields) => upsertSet(db, table, set, fields),
    renameSet: (set: SetRef, name: string, version: string, now: string) => renameSet(db, table, set, name, version, now),
  }) satisfies SetWriter;
