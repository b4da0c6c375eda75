/**
 * The history table's membership flips (docs/membership-history.md):
 * `<ws>#H#<C|S>#<hash(set, member)>` / `<ms>#<hash(version, direction)>`, plain attributes (the
 * flip), `gsi1pk = <ws>#<P|V>#<memberId>` (index byMember, for a user's deletion) and `expiresAt`
 * (TTL, the retention after the flip). Writes are BatchWriteItem puts on deterministic keys, so a
 * redelivered stream batch overwrites its own items: recorded once.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HistoryStore } from '../domain/ports';
import { membershipFlipSchema, type MembershipFlip } from '../schemas/membership-history';
import { batchWriteAll, deleteRequests, putRequests } from './dynamo/batch-write';
import { flipSk, historyMemberPk, memberHistoryPk } from './dynamo/keys';
import { forEachPage, queryPage } from './dynamo/query';

const DAY_SECONDS = 86_400;

/** The stored item of a flip; it expires `retentionDays` after the flip (or after `nowMs` when the flip has no time). */
export const flipItem = (flip: MembershipFlip, retentionDays: number, nowMs: number): Record<string, unknown> => {
  const at = Date.parse(flip.changedAt);
  const fromMs = Number.isFinite(at) ? at : nowMs;
  const sk = flipSk(flip.version, flip.direction);
  return {
    pk: memberHistoryPk({ workspaceId: flip.workspaceId, kind: flip.setKind, setId: flip.setId }, flip.memberId),
    sk,
    gsi1pk: historyMemberPk(flip.workspaceId, flip.memberKind, flip.memberId),
    gsi1sk: sk,
    itemKind: 'flip',
    ...flip,
    expiresAt: Math.floor(fromMs / 1000) + retentionDays * DAY_SECONDS,
  };
};

const toFlip = (item: Record<string, unknown>): MembershipFlip | undefined => {
  const parsed = membershipFlipSchema.safeParse(item);
  return parsed.success ? parsed.data : undefined;
};

export const dynamoHistoryStore = (db: DynamoDBDocumentClient, table: string, retentionDays: number, nowMs: () => number): HistoryStore => ({
  async record(flips) {
    const items = new Map(flips.map((flip) => flipItem(flip, retentionDays, nowMs())).map((item) => [`${String(item.pk)}\u0000${String(item.sk)}`, item]));
    await batchWriteAll(db, table, putRequests([...items.values()]));
  },

  async memberHistory(set, memberId, limit, startKey) {
    const page = await queryPage(
      db,
      { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': memberHistoryPk(set, memberId) } },
      limit,
      startKey,
    );
    return { flips: page.items.flatMap((item) => toFlip(item) ?? []), ...(page.nextKey ? { nextKey: page.nextKey } : {}) };
  },

  async forgetMember(workspaceId, memberKind, memberId) {
    let forgotten = 0;
    await forEachPage(
      db,
      {
        TableName: table,
        IndexName: 'byMember',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': historyMemberPk(workspaceId, memberKind, memberId) },
        ProjectionExpression: 'pk, sk',
      },
      async (items) => {
        forgotten += items.length;
        await batchWriteAll(db, table, deleteRequests(items.map((item) => ({ pk: item.pk, sk: item.sk }))));
      },
    );
    return forgotten;
  },
});
