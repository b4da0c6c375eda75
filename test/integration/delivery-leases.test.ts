/**
 * The AB Tasty push lease on DynamoDB Local (adapters/delivery-leases.ts): one holder at a time
 * under concurrent claims, requests handed to the holder as pending (the newest kept), release
 * records a settled push, an expired lease is taken over, and a stale holder cannot release it.
 */
import { randomBytes } from 'node:crypto';
import { dynamoDeliveryLeases } from '../../functions/adapters/delivery-leases';
import type { DeliveryLeases } from '../../functions/domain/ports';
import { startTestHub, type TestHub } from './harness';

describe('AB Tasty push lease on DynamoDB Local', () => {
  let hub: TestHub;
  let leases: DeliveryLeases;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
    leases = dynamoDeliveryLeases(hub.doc, hub.tables.idempotency);
  });
  afterAll(() => hub.stop());

  const key = () => `ws-${randomBytes(4).toString('hex')}#acc#partner`;
  const T = 1_800_000_000_000;

  it('gives the lease to exactly one of many concurrent claims; the others hand over their requests, the newest kept', async () => {
    const k = key();

    const claims = await Promise.all(Array.from({ length: 12 }, (_, index) => leases.claim(k, { id: `w${index}`, now: T, until: T + 60_000, requestedAt: T - 1000 + index })));

    const holders = claims.map((claim, index) => (claim.kind === 'claimed' ? `w${index}` : undefined)).filter(Boolean);
    expect(holders).toHaveLength(1);
    const left = await leases.release(k, { id: holders[0]!, settledFrom: T });
    const newestOfOthers = Math.max(...claims.map((claim, index) => (claim.kind === 'busy' ? T - 1000 + index : 0)));
    expect(left).toEqual({ settledFrom: T, pendingSince: newestOfOthers });
  });

  it('frees the partner on release and shows the next holder what settled', async () => {
    const k = key();
    await leases.claim(k, { id: 'a', now: T, until: T + 60_000, requestedAt: T - 5000 });
    await leases.release(k, { id: 'a', settledFrom: T });

    const next = await leases.claim(k, { id: 'b', now: T + 1000, until: T + 61_000, requestedAt: T + 500 });

    expect(next).toEqual({ kind: 'claimed', state: { settledFrom: T } });
  });

  it('a release without a settled push keeps the last settled start', async () => {
    const k = key();
    await leases.claim(k, { id: 'a', now: T, until: T + 60_000, requestedAt: 0 });
    await leases.release(k, { id: 'a', settledFrom: T });
    await leases.claim(k, { id: 'b', now: T + 10, until: T + 60_000, requestedAt: 0 });

    expect(await leases.release(k, { id: 'b' })).toEqual({ settledFrom: T });
  });

  it('takes over an expired lease; the crashed holder can no longer release it or record a settled push', async () => {
    const k = key();
    await leases.claim(k, { id: 'crashed', now: T, until: T + 1000, requestedAt: 0 });

    const busyBefore = await leases.claim(k, { id: 'early', now: T + 999, until: T + 2000, requestedAt: T + 1 });
    const takeover = await leases.claim(k, { id: 'next', now: T + 1001, until: T + 61_000, requestedAt: T + 2 });
    const lateRelease = await leases.release(k, { id: 'crashed', settledFrom: T });
    const busyAfter = await leases.claim(k, { id: 'third', now: T + 1002, until: T + 61_000, requestedAt: T + 3 });

    expect(busyBefore).toEqual({ kind: 'busy' });
    expect(takeover).toEqual({ kind: 'claimed', state: { pendingSince: T + 1 } });
    expect(lateRelease).toEqual({ pendingSince: T + 1 });
    expect(busyAfter).toEqual({ kind: 'busy' });
    expect(await leases.release(k, { id: 'next', settledFrom: T + 1001 })).toEqual({ settledFrom: T + 1001, pendingSince: T + 3 });
  });

  it('an older request handed over later does not lower the pending one', async () => {
    const k = key();
    await leases.claim(k, { id: 'holder', now: T, until: T + 60_000, requestedAt: 0 });
    await leases.claim(k, { id: 'newer', now: T, until: T + 60_000, requestedAt: T + 50 });

    const older = await leases.claim(k, { id: 'older', now: T, until: T + 60_000, requestedAt: T + 10 });

    expect(older).toEqual({ kind: 'busy' });
    expect(await leases.release(k, { id: 'holder' })).toEqual({ pendingSince: T + 50 });
  });
});
