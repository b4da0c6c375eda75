/**
 * DynamoDB implementation of `DeliveryReportStore` (deliveries table, docs/data-model.md):
 * - `<ws>#DLV` / `<deliveryId>`: the report of every push of the workspace;
 * - `<ws>#DLVS#<segmentId>` / `<deliveryId>`: one item per segment the push carried or skipped,
 *   holding the report with only that segment listed — so "deliveries of one segment" is one Query.
 * Delivery ids sort by start time, so newest first is `ScanIndexForward: false`. A put writes the
 * same keys every time (idempotent per delivery id); items expire 90 days after the push finished.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryReport } from '../domain/abtasty-delivery';
import type { DeliveryPage, DeliveryReportStore, StoredDelivery } from '../domain/ports';
import { storedDeliveryItem } from '../schemas/delivery-report';
import { batchWriteAll, putRequests } from './dynamo/batch-write';
import { decodeAll } from './dynamo/items';
import { deliveriesPk, segmentDeliveriesPk } from './dynamo/keys';
import { queryPage } from './dynamo/query';

/** Reports are kept this long after the push finished (TTL `expiresAt`). */
export const KEEP_REPORT_SECONDS = 90 * 24 * 3600;

/**
 * The workspace item lists at most this many segments (and as many skipped ones), names cut at
 * `MAX_NAME_CHARS`: 500 × (128-char id + 256-char name + 63-char token) stays far under DynamoDB's
 * 400 KB item limit whatever the push. Each segment's own item always lists it.
 */
export const MAX_LISTED_SEGMENTS = 500;
export const MAX_NAME_CHARS = 256;

const expiresAt = (report: DeliveryReport): number => {
  const finished = Date.parse(report.finishedAt);
  return Math.floor((Number.isFinite(finished) ? finished : 0) / 1000) + KEEP_REPORT_SECONDS;
};

/** The report as the workspace item holds it: lists bounded, names cut. */
const boundedReport = (report: DeliveryReport) => ({
  report: {
    ...report,
    segments: report.segments.slice(0, MAX_LISTED_SEGMENTS).map((segment) => ({ ...segment, name: segment.name.slice(0, MAX_NAME_CHARS) })),
    skipped: report.skipped.slice(0, MAX_LISTED_SEGMENTS),
  },
  segmentsOmitted: Math.max(0, report.segments.length - MAX_LISTED_SEGMENTS),
  skippedOmitted: Math.max(0, report.skipped.length - MAX_LISTED_SEGMENTS),
});

/** One item per segment carried or skipped, each listing only its own segment. */
const segmentItems = (workspaceId: string, delivery: StoredDelivery, ttl: number): Record<string, unknown>[] => {
  const { report } = delivery;
  const ids = new Set([...report.segments.map((segment) => segment.id), ...report.skipped.map((skip) => skip.id)]);
  return [...ids].map((id) => ({
    pk: segmentDeliveriesPk(workspaceId, id),
    sk: delivery.deliveryId,
    deliveryId: delivery.deliveryId,
    report: { ...report, segments: report.segments.filter((segment) => segment.id === id), skipped: report.skipped.filter((skip) => skip.id === id) },
    segmentsOmitted: 0,
    skippedOmitted: 0,
    expiresAt: ttl,
  }));
};

const toStored = (item: ReturnType<typeof storedDeliveryItem.parse>): StoredDelivery => ({
  deliveryId: item.deliveryId,
  report: item.report,
  ...(item.segmentsOmitted > 0 || item.skippedOmitted > 0 ? { omitted: { segments: item.segmentsOmitted, skipped: item.skippedOmitted } } : {}),
});

export const dynamoDeliveryReports = (db: DynamoDBDocumentClient, table: string): DeliveryReportStore => ({
  async put(workspaceId, delivery) {
    const ttl = expiresAt(delivery.report);
    await batchWriteAll(db, table, putRequests(segmentItems(workspaceId, delivery, ttl)));
    const item = { pk: deliveriesPk(workspaceId), sk: delivery.deliveryId, deliveryId: delivery.deliveryId, ...boundedReport(delivery.report), expiresAt: ttl };
    await db.send(new PutCommand({ TableName: table, Item: item }));
  },

  async list(workspaceId, options): Promise<DeliveryPage> {
    const pk = options.segmentId === undefined ? deliveriesPk(workspaceId) : segmentDeliveriesPk(workspaceId, options.segmentId);
    const input = { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ScanIndexForward: false };
    const page = await queryPage(db, input, options.limit, options.startKey);
    return { deliveries: decodeAll(storedDeliveryItem, page.items).map(toStored), ...(page.nextKey ? { nextKey: page.nextKey } : {}) };
  },
});
