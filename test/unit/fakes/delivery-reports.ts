/** In-memory DeliveryReportStore with the DynamoDB adapter's semantics (idempotent per delivery id, newest first, per segment). */
import type { DeliveryReportStore, StoredDelivery } from '../../../functions/domain/ports';

export const memoryDeliveryReports = (): DeliveryReportStore & {
  items: Map<string, Map<string, StoredDelivery>>;
  /** Every stored delivery of a workspace, newest first. */
  all: (workspaceId: string) => StoredDelivery[];
} => {
  const items = new Map<string, Map<string, StoredDelivery>>();
  const partition = (pk: string) => {
    const found = items.get(pk) ?? new Map<string, StoredDelivery>();
    items.set(pk, found);
    return found;
  };
  return {
    items,
    all: (workspaceId) => [...(items.get(`${workspaceId}#DLV`)?.values() ?? [])].sort((a, b) => b.deliveryId.localeCompare(a.deliveryId)),
    put: (workspaceId, delivery) => {
      partition(`${workspaceId}#DLV`).set(delivery.deliveryId, structuredClone(delivery));
      const { report } = delivery;
      for (const id of new Set([...report.segments.map((s) => s.id), ...report.skipped.map((s) => s.id)])) {
        const own = { ...report, segments: report.segments.filter((s) => s.id === id), skipped: report.skipped.filter((s) => s.id === id) };
        partition(`${workspaceId}#DLVS#${id}`).set(delivery.deliveryId, structuredClone({ deliveryId: delivery.deliveryId, report: own }));
      }
      return Promise.resolve();
    },
    list: (workspaceId, options) => {
      const pk = options.segmentId === undefined ? `${workspaceId}#DLV` : `${workspaceId}#DLVS#${options.segmentId}`;
      const after = options.startKey?.sk as string | undefined;
      const newestFirst = [...(items.get(pk)?.values() ?? [])].sort((a, b) => (a.deliveryId < b.deliveryId ? 1 : -1));
      const rest = after === undefined ? newestFirst : newestFirst.filter((d) => d.deliveryId < after);
      const deliveries = rest.slice(0, options.limit);
      const last = deliveries.at(-1);
      return Promise.resolve({ deliveries, ...(rest.length > options.limit && last ? { nextKey: { pk, sk: last.deliveryId } } : {}) });
    },
  };
};
