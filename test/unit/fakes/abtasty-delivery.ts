/**
 * In-memory fakes of the AB Tasty wiring ports (the report store is in delivery-reports.ts): the per-partner lease with the same rules as adapters/delivery-leases.ts, the
 * push-request publisher, and segment reads over a map of segment → members.
 */
import type { SegmentReads } from '../../../functions/domain/abtasty';
import type { DeliveryLeases, DeliveryRequest, DeliveryRequests, LeaseClaim } from '../../../functions/domain/ports';

interface LeaseItem {
  leaseId?: string;
  leaseUntil?: number;
  settledFrom?: number;
  pendingSince?: number;
}

/** The lease rules of the DynamoDB adapter, on a map (every step atomic, as one UpdateItem is). */
export const memoryDeliveryLeases = (): DeliveryLeases & { items: Map<string, LeaseItem> } => {
  const items = new Map<string, LeaseItem>();
  const stateOf = (item: LeaseItem) => ({
    ...(item.settledFrom === undefined ? {} : { settledFrom: item.settledFrom }),
    ...(item.pendingSince === undefined ? {} : { pendingSince: item.pendingSince }),
  });
  return {
    items,
    claim: (key, lease): Promise<LeaseClaim> => {
      const item = items.get(key) ?? {};
      items.set(key, item);
      if (item.leaseUntil === undefined || item.leaseUntil < lease.now) {
        Object.assign(item, { leaseId: lease.id, leaseUntil: lease.until });
        return Promise.resolve({ kind: 'claimed', state: stateOf(item) });
      }
      if (item.pendingSince === undefined || item.pendingSince < lease.requestedAt) item.pendingSince = lease.requestedAt;
      return Promise.resolve({ kind: 'busy' });
    },
    release: (key, lease) => {
      const item = items.get(key) ?? {};
      if (item.leaseId === lease.id) {
        delete item.leaseId;
        delete item.leaseUntil;
        if (lease.settledFrom !== undefined) item.settledFrom = lease.settledFrom;
      }
      return Promise.resolve(stateOf(item));
    },
  };
};

/** Records each call; `failNext` makes the next call reject. */
export const fakeDeliveryRequests = () => {
  const calls: { requests: readonly DeliveryRequest[]; coalesce: boolean }[] = [];
  const control = { failNext: false };
  const port: DeliveryRequests = {
    request: (requests, { coalesce }) => {
      if (control.failNext) {
        control.failNext = false;
        return Promise.reject(new Error('queue unavailable'));
      }
      calls.push({ requests, coalesce });
      return Promise.resolve();
    },
  };
  return { port, calls, control };
};

/** Segment reads over segment id → { name, members } (pages of `pageSize`). */
export const fakeSegmentReads = (segments: Record<string, { name: string; members: string[] }>, pageSize = 2): SegmentReads => ({
  listSets: () => Promise.resolve({ sets: Object.entries(segments).map(([setId, { name, members }]) => ({ setId, name, memberCount: members.length })) }),
  getSet: (set) => {
    const segment = segments[set.setId];
    return Promise.resolve(segment ? { setId: set.setId, name: segment.name, memberCount: segment.members.length } : undefined);
  },
  listMembers: (set, limit, startKey) => {
    const members = segments[set.setId]?.members ?? [];
    const start = (startKey?.index as number | undefined) ?? 0;
    const end = start + Math.min(limit, pageSize);
    return Promise.resolve({ members: members.slice(start, end).map((memberId) => ({ memberId })), ...(end < members.length ? { nextKey: { index: end } } : {}) });
  },
  setsOfMember: () => Promise.resolve([]),
});
