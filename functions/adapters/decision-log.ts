/**
 * The per-identifier decision log in the history table (docs/membership-history.md "Decision log"):
 * `<ws>#D#<hash(cohort, identifier)>` / `<import ms>#<hash(import id)>`, so one Query reads an
 * identifier's decisions in a cohort newest first; `itemKind = decision`, `expiresAt` (TTL) the
 * workspace's retention after the import. Index byMember: `gsi1pk` is the matched profile's
 * (`<ws>#P#<brazeId>`, the same as its flips, so `forgetMember` deletes both) or, unmatched, the
 * identifier's (`<ws>#I#<hash(identifier)>`, `forgetIdentifiers`). Written with BatchWriteItem
 * (25 a call, unprocessed items retried) on deterministic keys: a redelivery overwrites its own items.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { identifierKey } from '../domain/identifiers';
import type { DecisionLog, IdentifierDecision } from '../domain/ports';
import { identifierDecisionSchema } from '../schemas/membership-history';
import { batchGetAll } from './dynamo/batch-get';
import { batchWriteAll, deleteRequests, putRequests } from './dynamo/batch-write';
import { decisionIdentifierPk, decisionPk, decisionSk, historyMemberPk } from './dynamo/keys';
import { forEachPage, queryPage } from './dynamo/query';

const DAY_SECONDS = 86_400;
/** Index pages read at most for a trace by braze id (its flips share the index). */
const MEMBER_PAGES = 5;

/** The stored item of a decision; it expires `retentionDays` after the import was received. */
export const decisionItem = (decision: IdentifierDecision, retentionDays: number): Record<string, unknown> => {
  const atMs = Date.parse(decision.at);
  const key = identifierKey(decision.identifier);
  const sk = decisionSk(atMs, decision.importId);
  const matched = decision.decision !== 'unmatched' && decision.brazeId !== undefined;
  return {
    pk: decisionPk(decision.workspaceId, decision.cohortId, key),
    sk,
    gsi1pk: matched ? historyMemberPk(decision.workspaceId, 'profile', decision.brazeId ?? '') : decisionIdentifierPk(decision.workspaceId, key),
    gsi1sk: sk,
    itemKind: 'decision',
    ...decision,
    expiresAt: Math.floor(atMs / 1000) + retentionDays * DAY_SECONDS,
  };
};

const toDecision = (item: Record<string, unknown>): IdentifierDecision | undefined => {
  const parsed = identifierDecisionSchema.safeParse(item);
  return parsed.success ? parsed.data : undefined;
};

const keyOf = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;

/**
 * Writes a delta's decisions, each item built once; a redelivery's `applied` records never replace
 * what the first delivery wrote (one read, only on redelivery).
 */
const recordDecisions = async (db: DynamoDBDocumentClient, table: string, decisions: readonly (IdentifierDecision & { ifAbsent?: boolean })[], retentionDays: number): Promise<void> => {
  const items = new Map(
    decisions.map(({ ifAbsent, ...decision }) => {
      const item = decisionItem(decision, retentionDays);
      return [keyOf(item), { item, ifAbsent }];
    }),
  );
  const onlyIfAbsent = [...items.values()].filter((entry) => entry.ifAbsent === true).map((entry) => ({ pk: entry.item.pk, sk: entry.item.sk }));
  if (onlyIfAbsent.length > 0) for (const found of await batchGetAll(db, table, onlyIfAbsent, { consistency: 'strong' })) items.delete(keyOf(found));
  await batchWriteAll(db, table, putRequests([...items.values()].map((entry) => entry.item)));
};

export const dynamoDecisionLog = (db: DynamoDBDocumentClient, table: string): DecisionLog => ({
  record: (decisions, retentionDays) => recordDecisions(db, table, decisions, retentionDays),

  async recent(workspaceId, cohortId, identifier, limit) {
    const page = await queryPage(
      db,
      { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': decisionPk(workspaceId, cohortId, identifierKey(identifier)) }, ScanIndexForward: false },
      limit,
    );
    return page.items.flatMap((item) => toDecision(item) ?? []);
  },

  async recentOfMember(workspaceId, cohortId, brazeId, limit) {
    const found: IdentifierDecision[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MEMBER_PAGES && found.length < limit; page += 1) {
      const result = await queryPage(
        db,
        {
          TableName: table,
          IndexName: 'byMember',
          KeyConditionExpression: 'gsi1pk = :pk',
          FilterExpression: 'itemKind = :kind AND cohortId = :cohort',
          ExpressionAttributeValues: { ':pk': historyMemberPk(workspaceId, 'profile', brazeId), ':kind': 'decision', ':cohort': cohortId },
          ScanIndexForward: false,
        },
        200,
        startKey,
      );
      found.push(...result.items.flatMap((item) => toDecision(item) ?? []));
      startKey = result.nextKey;
      if (!startKey) break;
    }
    return found.slice(0, limit);
  },

  async forgetIdentifiers(workspaceId, identifierKeys) {
    let forgotten = 0;
    for (const key of new Set(identifierKeys)) {
      await forEachPage(
        db,
        { TableName: table, IndexName: 'byMember', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': decisionIdentifierPk(workspaceId, key) }, ProjectionExpression: 'pk, sk' },
        async (items) => {
          forgotten += items.length;
          await batchWriteAll(db, table, deleteRequests(items.map((item) => ({ pk: item.pk, sk: item.sk }))));
        },
      );
    }
    return forgotten;
  },
});
