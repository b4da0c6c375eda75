import { listDeliveries } from '../../functions/domain/abtasty-deliveries';
import { NO_DESTINATION, visitorContext } from '../../functions/domain/abtasty-context';
import type { SegmentReads } from '../../functions/domain/abtasty';
import { udcSegmentToken } from '../../functions/domain/abtasty-udc-file';
import { signedCursors } from '../../functions/shared/cursor';
import { fakeSigningKeys } from './fakes/workspaces';
import type { AbTastyDestinationRecord } from '../../functions/schemas/workspace';
import { memoryDeliveryReports } from './fakes/delivery-reports';
import { workspaceRecord } from './fakes/workspace-record';
import { storedDelivery } from './support/delivery-report';

const destination = (overrides: Partial<AbTastyDestinationRecord> = {}): AbTastyDestinationRecord => ({
  account: 'acc-1',
  partner: 'heapsync',
  clientId: 'client-1',
  clientSecretCiphertext: 'cipher',
  segments: 'all',
  enabled: true,
  ...overrides,
});

/** A visitor in `setIds`, and the visitor ids each read asked for. */
const memberOf = (setIds: string[]) => {
  const calls: string[] = [];
  const reads: Pick<SegmentReads, 'setsOfMember'> = {
    setsOfMember: (_ws, _kind, memberId) => {
      calls.push(memberId);
      return Promise.resolve(setIds.map((setId) => ({ setId })));
    },
  };
  return { reads, calls };
};

describe('visitor context for Flagship', () => {
  it('names each segment the visitor is in as <partner>::<segment token>, "true" by default, with one read', async () => {
    const { reads, calls } = memberOf(['4242', '17', 'a-b']);

    const context = await visitorContext(reads, workspaceRecord({ abTasty: destination() }), 'VISITOR-1');

    expect(context).toEqual({
      ok: true,
      value: { 'heapsync::heap_17': 'true', 'heapsync::heap_4242': 'true', [`heapsync::${udcSegmentToken('a-b')}`]: 'true' },
    });
    expect(udcSegmentToken('a-b')).toMatch(/^heapx_[0-9a-f]{32}$/);
    expect(calls).toEqual(['visitor-1']);
  });

  it('keeps only the segments the destination delivers, with its value', async () => {
    const { reads } = memberOf(['4242', '17', '99']);

    const context = await visitorContext(reads, workspaceRecord({ abTasty: destination({ segments: ['17', '99', '5'], value: 'vip' }) }), 'v1');

    expect(context).toEqual({ ok: true, value: { 'heapsync::heap_17': 'vip', 'heapsync::heap_99': 'vip' } });
  });

  it('answers an empty context for a visitor in no delivered segment', async () => {
    const { reads } = memberOf(['4242']);

    expect(await visitorContext(reads, workspaceRecord({ abTasty: destination({ segments: ['17'] }) }), 'v1')).toEqual({ ok: true, value: {} });
  });

  it('refuses without a configured destination (before any read) and for an invalid visitor id', async () => {
    const { reads, calls } = memberOf(['4242']);

    expect(await visitorContext(reads, workspaceRecord(), 'v1')).toEqual({ ok: false, refused: 'not-found', message: NO_DESTINATION });
    expect(await visitorContext(reads, workspaceRecord({ abTasty: destination() }), 'not_a_visitor')).toMatchObject({ ok: false, refused: 'invalid' });
    expect(calls).toEqual([]);
  });
});

describe('delivery reports read API', () => {
  const workspace = workspaceRecord();
  const setup = async () => {
    const deliveries = memoryDeliveryReports();
    await deliveries.put(workspace.workspaceId, storedDelivery(1_000, ['1', '2']));
    await deliveries.put(workspace.workspaceId, storedDelivery(2_000, ['2'], { outcome: 'failed', status: 400, message: 'bad line 3' }));
    await deliveries.put(workspace.workspaceId, storedDelivery(3_000, ['1'], { skipped: [{ id: '2', reason: 'empty' }] }));
    return { deliveries, cursors: signedCursors((ws) => fakeSigningKeys.forWorkspace(ws).then((key) => key.cursorSecret)) };
  };

  it('lists deliveries newest first in snake_case, paged with a signed cursor', async () => {
    const deps = await setup();

    const first = await listDeliveries(deps, workspace, { limit: 2 });
    if (!first.ok) throw new Error(first.message);
    const second = await listDeliveries(deps, workspace, { limit: 2, cursor: first.value.next_cursor ?? '' });
    if (!second.ok) throw new Error(second.message);

    expect(first.value.deliveries.map((d) => d.started_at)).toEqual([new Date(3_000).toISOString(), new Date(2_000).toISOString()]);
    expect(first.value.deliveries[1]).toMatchObject({ outcome: 'failed', status: 400, message: 'bad line 3', refused_rows: 0, segments: [{ id: '2', name: 'Segment 2', token: 'heap_2' }] });
    expect(first.value.deliveries[1]?.attempts[0]).toEqual({ at: expect.any(String), step: 'upload', status: 200, message: '{"message":"OK","rows":3}', verdict: 'success' });
    expect(second.value.deliveries.map((d) => d.started_at)).toEqual([new Date(1_000).toISOString()]);
    expect(second.value.next_cursor).toBeNull();
  });

  it('lists one segment\'s deliveries, carried or skipped, each listing only that segment', async () => {
    const deps = await setup();

    const page = await listDeliveries(deps, workspace, { segmentId: '2', limit: 10 });
    if (!page.ok) throw new Error(page.message);

    expect(page.value.deliveries.map((d) => [d.started_at, d.segments.map((s) => s.id), d.skipped])).toEqual([
      [new Date(3_000).toISOString(), [], [{ id: '2', reason: 'empty' }]],
      [new Date(2_000).toISOString(), ['2'], []],
      [new Date(1_000).toISOString(), ['2'], []],
    ]);
  });

  it('refuses a bad segment_id and a cursor issued for another segment filter', async () => {
    const deps = await setup();
    const all = await listDeliveries(deps, workspace, { limit: 1 });
    if (!all.ok) throw new Error(all.message);

    expect(await listDeliveries(deps, workspace, { segmentId: 'no#hash', limit: 1 })).toMatchObject({ ok: false, refused: 'invalid', message: 'Invalid segment_id' });
    expect(await listDeliveries(deps, workspace, { segmentId: '1', limit: 1, cursor: all.value.next_cursor ?? '' })).toMatchObject({ ok: false, message: 'Invalid cursor' });
  });
});
