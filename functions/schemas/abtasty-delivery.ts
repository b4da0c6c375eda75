/**
 * Messages of the abTastyDelivery queue (docs/abtasty-delivery.md, "Wiring"): a request to push one
 * workspace's segments (after Heap changes, as a daily refresh, or as a follow-up), and the daily
 * sweep that EventBridge Scheduler (or the local stack's timer) sends to ask for the refreshes.
 */
import * as z from 'zod/mini';

/** Why a push was requested (logged, and part of the dedupe key). */
export const PUSH_REASONS = ['change', 'refresh', 'follow-up'] as const;
export type PushReason = (typeof PUSH_REASONS)[number];

const epochMs = z.number().check(z.int(), z.minimum(0));

export const abTastyPushMessageSchema = z.object({
  type: z.literal('push'),
  dedupeKey: z.string().check(z.minLength(1), z.maxLength(2048)),
  workspaceId: z.string().check(z.minLength(1), z.maxLength(128)),
  /**
   * When the data to push last changed (epoch ms): a push that started after this (with a margin)
   * and settled already covers the request.
   */
  requestedAt: epochMs,
  reason: z.enum(PUSH_REASONS),
});

/** `scheduledAt` is EventBridge Scheduler's `<aws.scheduler.scheduled-time>` (ISO 8601). */
export const abTastySweepMessageSchema = z.object({
  type: z.literal('sweep'),
  dedupeKey: z.string().check(z.minLength(1), z.maxLength(2048)),
  scheduledAt: z.string().check(z.refine((text) => !Number.isNaN(Date.parse(text)), 'scheduledAt must be an ISO date')),
});

export const abTastyDeliveryMessageSchema = z.discriminatedUnion('type', [abTastyPushMessageSchema, abTastySweepMessageSchema]);

export type AbTastyPushMessage = z.infer<typeof abTastyPushMessageSchema>;
export type AbTastySweepMessage = z.infer<typeof abTastySweepMessageSchema>;
export type AbTastyDeliveryMessage = z.infer<typeof abTastyDeliveryMessageSchema>;

/** The sweep message body for a scheduled time (the CDK schedule writes the same shape with Scheduler's placeholder). */
export const sweepMessage = (scheduledAt: string): AbTastySweepMessage => ({ type: 'sweep', dedupeKey: `abtasty-sweep#${scheduledAt}`, scheduledAt });
