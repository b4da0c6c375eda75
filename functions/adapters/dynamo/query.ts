/** Query pages: one page for paged APIs, or every page for reads that need the whole partition. */
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

export type StartKey = Record<string, unknown>;

export interface Page {
  readonly items: Record<string, unknown>[];
  readonly nextKey?: StartKey;
}

/** One page of at most `limit` items read, from `startKey`. */
export const queryPage = async (db: DynamoDBDocumentClient, input: QueryCommandInput, limit?: number, startKey?: StartKey): Promise<Page> => {
  const result = await db.send(new QueryCommand({ ...input, ...(limit !== undefined ? { Limit: limit } : {}), ExclusiveStartKey: startKey }));
  return { items: result.Items ?? [], ...(result.LastEvaluatedKey ? { nextKey: result.LastEvaluatedKey } : {}) };
};

/** Every page in turn, each handed to `onPage` before the next is read. */
export const forEachPage = async (db: DynamoDBDocumentClient, input: QueryCommandInput, onPage: (items: Record<string, unknown>[]) => Promise<void> | void): Promise<void> => {
  let startKey: StartKey | undefined;
  do {
    const page = await queryPage(db, input, undefined, startKey);
    await onPage(page.items);
    startKey = page.nextKey;
  } while (startKey);
};

/** Every item of the query, all pages. */
export const queryAll = async (db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  await forEachPage(db, input, (page) => {
    items.push(...page);
  });
  return items;
};
