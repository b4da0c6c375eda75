/**
 * Heap deliveries whose signature verified but whose body the hub could not use (events table,
 * next to the Currents rejects): pk `<ws>#HEAPREJECTS`, sk `<receivedAt ms, 15 digits>#<random>`,
 * with the reason and the body cut at `RAW_LIMIT` characters, expiring (`expiresAt`) after 14 days.
 * Read newest first by `GET /v1/heap/rejects`.
 */
import { randomBytes } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HeapReject } from '../domain/heap-webhook';
import { heapRejectKey, heapRejectsPk } from './dynamo/keys';
import type { StartKey } from './dynamo/query';
import { rejectsPage } from './event-reads';

const RAW_LIMIT = 4096;
const KEEP_SECONDS = 14 * 24 * 3600;

const rejectItem = (reject: HeapReject) => ({
  ...heapRejectKey(reject.workspaceId, reject.receivedAt, randomBytes(6).toString('hex')),
  workspaceId: reject.workspaceId,
  receivedAt: reject.receivedAt,
  reason: reject.reason.slice(0, RAW_LIMIT),
  raw: reject.rawBody.slice(0, RAW_LIMIT),
  ...(reject.rawBody.length > RAW_LIMIT ? { truncated: true } : {}),
  expiresAt: Math.floor(reject.receivedAt / 1000) + KEEP_SECONDS,
});

export const dynamoHeapRejects = (db: DynamoDBDocumentClient, table: string) => ({
  async put(reject: HeapReject): Promise<void> {
    await db.send(new PutCommand({ TableName: table, Item: rejectItem(reject) }));
  },

  /** One page, newest first. */
  page: (workspaceId: string, limit: number, startKey?: StartKey) => rejectsPage(db, table, heapRejectsPk(workspaceId), limit, startKey),
});

export type HeapRejects = ReturnType<typeof dynamoHeapRejects>;
