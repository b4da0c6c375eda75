/**
 * A stored AB Tasty delivery report (deliveries table, docs/data-model.md), decoded with zod when
 * it is read back: the shape `deliver` returns (domain/abtasty-delivery.ts `DeliveryReport`).
 */
import * as z from 'zod/mini';

const plannedSegment = z.object({ id: z.string(), name: z.string(), token: z.string() });

const attempt = z.object({
  at: z.string(),
  step: z.enum(['token', 'upload']),
  status: z.nullable(z.number()),
  message: z.string(),
  verdict: z.enum(['success', 'refresh-token', 'retry', 'fail']),
});

export const deliveryReportSchema = z.object({
  account: z.string(),
  partner: z.string(),
  segments: z.array(plannedSegment),
  skipped: z.array(z.object({ id: z.string(), reason: z.enum(['empty', 'unknown']) })),
  rows: z.number(),
  bytes: z.number(),
  refusedRows: z.number(),
  startedAt: z.string(),
  finishedAt: z.string(),
  attempts: z.array(attempt),
  outcome: z.enum(['delivered', 'failed', 'exhausted', 'skipped']),
  status: z.nullable(z.number()),
  message: z.string(),
});

/** One stored delivery item: its id, the report, and how many list entries were left out of this item. */
export const storedDeliveryItem = z.object({
  deliveryId: z.string(),
  report: deliveryReportSchema,
  segmentsOmitted: z._default(z.number(), 0),
  skippedOmitted: z._default(z.number(), 0),
});
