/** A delivery report as `deliver` returns it, for the report store and read API tests. */
import type { DeliveryReport } from '../../../functions/domain/abtasty-delivery';
import type { StoredDelivery } from '../../../functions/domain/ports';

/** The delivery id of a push started at `startedAtMs` (sorts by start time). */
export const deliveryIdAt = (startedAtMs: number, suffix = 'a'): string => `${String(startedAtMs).padStart(15, '0')}#${suffix}`;

export const deliveryReport = (startedAtMs: number, segmentIds: readonly string[], overrides: Partial<DeliveryReport> = {}): DeliveryReport => ({
  account: 'acc-1',
  partner: 'heapsync',
  segments: segmentIds.map((id) => ({ id, name: `Segment ${id}`, token: `heap_${id}` })),
  skipped: [],
  rows: 3 * segmentIds.length,
  bytes: 100,
  refusedRows: 0,
  startedAt: new Date(startedAtMs).toISOString(),
  finishedAt: new Date(startedAtMs + 1500).toISOString(),
  attempts: [{ at: new Date(startedAtMs + 1400).toISOString(), step: 'upload', status: 200, message: '{"message":"OK","rows":3}', verdict: 'success' }],
  outcome: 'delivered',
  status: 200,
  message: '{"message":"OK","rows":3}',
  ...overrides,
});

export const storedDelivery = (startedAtMs: number, segmentIds: readonly string[], overrides: Partial<DeliveryReport> = {}): StoredDelivery => ({
  deliveryId: deliveryIdAt(startedAtMs),
  report: deliveryReport(startedAtMs, segmentIds, overrides),
});
