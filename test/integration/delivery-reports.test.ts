import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDeliveryReports, KEEP_REPORT_SECONDS, MAX_LISTED_SEGMENTS } from '../../functions/adapters/delivery-reports';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { storedDelivery } from '../unit/support/delivery-report';
import { startTestHub, type TestHub } from './harness';

describe('AB Tasty delivery reports on DynamoDB Local, and GET /v1/destinations/abtasty/deliveries', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
    ws = await hub.createWorkspace();
  });
  afterAll(() => hub.stop());

  const store = () => dynamoDeliveryReports(hub.doc, hub.tables.deliveries);
  const itemsUnder = async (pk: string) =>
    (await hub.doc.send(new QueryCommand({ TableName: hub.tables.deliveries, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }))).Items ?? [];
  const api = (query: string, token = ws.apiKey) => hub.request('GET', `/v1/destinations/abtasty/deliveries${query}`, { headers: { Authorization: `Bearer ${token}` } });

  it('keeps one item per delivery however often it is put, expiring 90 days after the push', async () => {
    const delivery = storedDelivery(1_000, ['1', '2']);

    await store().put('ws-idem', delivery);
    await store().put('ws-idem', delivery);

    const items = await itemsUnder('ws-idem#DLV');
    expect(items).toHaveLength(1);
    expect(items[0]?.expiresAt).toBe(Math.floor(2_500 / 1000) + KEEP_REPORT_SECONDS);
    expect(await itemsUnder('ws-idem#DLVS#1')).toHaveLength(1);
    expect((await store().list('ws-idem', { limit: 10 })).deliveries).toEqual([delivery]);
  });

  it('lists newest first, page by page, and per segment (carried or skipped)', async () => {
    await store().put('ws-order', storedDelivery(2_000, ['1']));
    await store().put('ws-order', storedDelivery(1_000, ['1', '2']));
    await store().put('ws-order', storedDelivery(3_000, ['1'], { skipped: [{ id: '2', reason: 'empty' }] }));

    const first = await store().list('ws-order', { limit: 2 });
    const second = await store().list('ws-order', { limit: 2, ...(first.nextKey ? { startKey: first.nextKey } : {}) });
    const ofTwo = await store().list('ws-order', { segmentId: '2', limit: 10 });

    expect(first.deliveries.map((d) => d.report.startedAt)).toEqual([3_000, 2_000].map((ms) => new Date(ms).toISOString()));
    expect(second.deliveries.map((d) => d.report.startedAt)).toEqual([new Date(1_000).toISOString()]);
    expect(second.nextKey).toBeUndefined();
    expect(ofTwo.deliveries.map((d) => [d.report.startedAt, d.report.segments.map((s) => s.id), d.report.skipped.map((s) => s.id)])).toEqual([
      [new Date(3_000).toISOString(), [], ['2']],
      [new Date(1_000).toISOString(), ['2'], []],
    ]);
  });

  it('bounds the workspace item of a very large push and says how many segments it left out; each segment item keeps its own', async () => {
    const ids = Array.from({ length: MAX_LISTED_SEGMENTS + 20 }, (_, index) => `s${index}`);
    const delivery = storedDelivery(5_000, ids, { segments: ids.map((id) => ({ id, name: 'N'.repeat(1_000), token: `heap_${id}` })) });

    await store().put('ws-large', delivery);

    const [listed] = (await store().list('ws-large', { limit: 1 })).deliveries;
    expect(listed?.report.segments).toHaveLength(MAX_LISTED_SEGMENTS);
    expect(listed?.report.segments[0]?.name).toHaveLength(256);
    expect(listed?.omitted).toEqual({ segments: 20, skipped: 0 });
    expect((await store().list('ws-large', { segmentId: ids.at(-1) ?? '', limit: 1 })).deliveries[0]?.report.segments.map((s) => s.id)).toEqual([ids.at(-1)]);
  });

  it('serves the reports to the workspace apiKey, newest first, with signed cursors and ?segment_id=', async () => {
    await store().put(ws.workspaceId, storedDelivery(10_000, ['4242']));
    await store().put(ws.workspaceId, storedDelivery(20_000, ['4242', '7'], { outcome: 'failed', status: 400, message: 'line 2: visitor_id' }));

    const first = await api('?limit=1');
    const second = await api(`?limit=1&cursor=${encodeURIComponent(first.body.next_cursor as string)}`);
    const ofSeven = await api('?segment_id=7');
    const crossFilter = await api(`?segment_id=7&cursor=${encodeURIComponent(first.body.next_cursor as string)}`);

    expect(first.status).toBe(200);
    expect(first.body.deliveries[0]).toEqual({
      delivery_id: expect.any(String),
      started_at: new Date(20_000).toISOString(),
      finished_at: new Date(21_500).toISOString(),
      outcome: 'failed',
      status: 400,
      message: 'line 2: visitor_id',
      rows: 6,
      bytes: 100,
      refused_rows: 0,
      account: 'acc-1',
      partner: 'heapsync',
      segments: [{ id: '4242', name: 'Segment 4242', token: 'heap_4242' }, { id: '7', name: 'Segment 7', token: 'heap_7' }],
      skipped: [],
      segments_omitted: 0,
      skipped_omitted: 0,
      attempts: [{ at: expect.any(String), step: 'upload', status: 200, message: '{"message":"OK","rows":3}', verdict: 'success' }],
    });
    expect(second.body.deliveries.map((d: { started_at: string }) => d.started_at)).toEqual([new Date(10_000).toISOString()]);
    const third = second.body.next_cursor ? await api(`?limit=1&cursor=${encodeURIComponent(second.body.next_cursor as string)}`) : undefined;
    expect(third?.body.deliveries ?? []).toEqual([]);
    expect(ofSeven.body.deliveries.map((d: { segments: { id: string }[] }) => d.segments.map((s) => s.id))).toEqual([['7']]);
    expect(crossFilter.status).toBe(400);
  });

  it('refuses a bad segment_id, a bad limit, and every credential but the apiKey', async () => {
    const other = await hub.createWorkspace();

    expect((await api('?segment_id=a%23b')).status).toBe(400);
    expect((await api('?limit=0')).status).toBe(400);
    expect((await api('', ws.abTastyToken)).status).toBe(401);
    expect((await api('', other.apiKey)).body.deliveries).toEqual([]);
  });
});
