import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { signHeapBody } from '../../functions/domain/heap-signature';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub } from './harness';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'heap', name), 'utf8');

const syncBody = (segment: { id: number; name: string }, task: string, page: number, total: number, add: string[], remove: string[] = []) =>
  JSON.stringify({
    action_type: 'segment.users.sync',
    id_token: 'tok',
    customer_config: { fields: [] },
    data: { segment, sync_info: { page_number: page, total_pages: total, sync_task_id: task }, add: add.map((id) => ({ id })), remove: remove.map((id) => ({ id })) },
  });

describe('Heap segment sync to AB Tasty, end to end through the local hub (HTTP server, SQS, worker, DynamoDB)', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  beforeAll(async () => {
    hub = await startTestHub();
    ws = await hub.createWorkspace();
  });
  afterAll(() => hub.stop());

  const sendHeap = (raw: string) =>
    hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw, headers: { 'Heap-Hash': signHeapBody(ws.heapWebhookSecret, raw, Date.now()) } });
  const abTasty = (path: string, headers: Record<string, string> = {}) =>
    hub.request('GET', path, { headers: { Authorization: `Bearer ${ws.abTastyToken}`, ...headers } });
  const queueDrained = () =>
    eventually(async () => {
      const { Attributes } = await hub.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: hub.queues.heapSync.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible) === 0 ? true : undefined;
    }, 20000, 'the heapSync queue to drain');
  const segment = async (id: string) => ((await abTasty('/abtasty/segments')).body.segments as { id: string }[]).find((s) => s.id === id);
  const allMembers = async (segmentId: string, limit: number) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await abTasty(`/abtasty/segments/${segmentId}/visitors?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      ids.push(...(page.body.visitors as string[]));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    return ids;
  };
  const expectedMembers = ['1a2b3c4d5e6f7a8b', '987654321', 'visitor-02', 'visitor-04', 'visitor-upper-01'];

  it('applies a two-page sync: adds and removes visitors, renames the segment, and shows the run complete', async () => {
    // Act
    const first = await sendHeap(fixture('sync-page-1.json'));
    const second = await sendHeap(fixture('sync-page-2.json'));

    // Assert
    expect([first.status, second.status]).toEqual([200, 200]);
    const listed = await eventually(async () => {
      const found = (await segment('4242')) as { member_count: number; last_sync: { pages_seen: number } | null } | undefined;
      return found?.member_count === 5 && found.last_sync?.pages_seen === 2 ? found : undefined;
    }, 20000, 'both pages applied');
    expect(listed).toEqual({
      id: '4242',
      name: 'Engaged shoppers (renamed)',
      member_count: 5,
      last_sync: { sync_task_id: '5f0c7a52-2a4e-4d6e-9a53-6c1d3f1c9b10', at: expect.any(String), pages_seen: 2, total_pages: 2, complete: true },
    });
    expect((await allMembers('4242', 2)).sort()).toEqual(expectedMembers);
  });

  it('applies a re-sent page once: page 1 sent again does not bring back the visitor page 2 removed', async () => {
    await queueDrained();

    const again = await sendHeap(fixture('sync-page-1.json'));
    await queueDrained();

    expect(again.status).toBe(200);
    expect((await allMembers('4242', 100)).sort()).toEqual(expectedMembers);
    expect((await segment('4242')) as unknown).toMatchObject({ member_count: 5 });
  });

  it("answers a visitor's segments from what was sent, case-insensitively, with ETag revalidation", async () => {
    const member = await abTasty('/abtasty/visitors/VISITOR-UPPER-01/segments');
    const removed = await abTasty('/abtasty/visitors/visitor-03/segments');
    const revalidated = await abTasty('/abtasty/visitors/visitor-upper-01/segments', { 'If-None-Match': member.headers.get('etag') ?? '' });

    expect(member.status).toBe(200);
    expect(member.body).toEqual({ visitor_id: 'visitor-upper-01', segments: [{ id: '4242', name: 'Engaged shoppers (renamed)' }] });
    expect(member.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(removed.body).toEqual({ visitor_id: 'visitor-03', segments: [] });
    expect(revalidated.status).toBe(304);
    expect(revalidated.text).toBe('');
    expect(revalidated.headers.get('etag')).toBe(member.headers.get('etag'));
  });

  it('agrees between a visitor\'s segments and each segment\'s members', async () => {
    for (const id of expectedMembers) {
      const response = await abTasty(`/abtasty/visitors/${id}/segments`);
      expect(response.body.segments).toEqual([{ id: '4242', name: 'Engaged shoppers (renamed)' }]);
    }
  });

  it("answers a visitor's delivered segments as Flagship context <partner>::<token>, with ETag revalidation; 404 without a destination", async () => {
    const before = await abTasty('/abtasty/visitors/visitor-upper-01/context');
    const workspaces = dynamoWorkspaceStore(hub.doc, hub.tables.workspaces);
    const destination = { account: 'acc-1', partner: 'heapsync', clientId: 'client-1', clientSecretCiphertext: 'not-read-here', segments: 'all' as const, enabled: true };
    await workspaces.update(ws.workspaceId, { abTasty: destination });

    const context = await abTasty('/abtasty/visitors/VISITOR-UPPER-01/context');
    const revalidated = await abTasty('/abtasty/visitors/visitor-upper-01/context', { 'If-None-Match': context.headers.get('etag') ?? '' });
    await workspaces.update(ws.workspaceId, { abTasty: { ...destination, segments: ['777'], value: 'vip' } });
    const notDelivered = await abTasty('/abtasty/visitors/visitor-upper-01/context');

    expect(before.status).toBe(404);
    expect(before.body).toEqual({ message: 'No AB Tasty destination is configured for this workspace' });
    expect(context.status).toBe(200);
    expect(context.body).toEqual({ 'heapsync::heap_4242': 'true' });
    expect(context.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(revalidated.status).toBe(304);
    expect(notDelivered.body).toEqual({});
  });

  it('writes the segment as a UDC CSV with one row per member', async () => {
    const response = await abTasty('/abtasty/segments/4242/udc.csv');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const [header, ...rows] = response.text.trimEnd().split('\n');
    expect(header).toBe('visitor_id,value');
    expect(rows.map((row) => row.split(',')[0]).sort()).toEqual(expectedMembers);
    expect(new Set(rows.map((row) => row.slice(row.indexOf(',') + 1)))).toEqual(new Set(['Engaged_shoppers_(renamed)']));
    expect(response.headers.get('x-next-cursor')).toBeNull();
  });

  it('omits a segment once a later sync removed all its members', async () => {
    const seg = { id: 5150, name: 'Short-lived' };
    await sendHeap(syncBody(seg, 'run-a', 1, 1, ['aa-1', 'aa-2']));
    await eventually(async () => ((await segment('5150')) ? true : undefined), 20000, 'segment 5150 listed');

    await sendHeap(syncBody(seg, 'run-b', 1, 1, [], ['AA-1', 'aa-2']));
    await queueDrained();

    expect(await segment('5150')).toBeUndefined();
    const members = await abTasty('/abtasty/segments/5150/visitors');
    expect(members.status).toBe(200);
    expect(members.body.visitors).toEqual([]);
    expect(members.body.segment).toMatchObject({ id: '5150', member_count: 0 });
  });

  it('empties a segment on segment.users.drain', async () => {
    await sendHeap(syncBody({ id: 777, name: 'Churn risk' }, 'run-c', 1, 1, ['d-1', 'd-2', 'd-3']));
    await eventually(async () => ((await segment('777')) as { member_count?: number } | undefined)?.member_count === 3 || undefined, 20000, 'segment 777 filled');

    const drain = await sendHeap(fixture('drain.json'));
    await queueDrained();

    expect(drain.status).toBe(200);
    expect(await segment('777')).toBeUndefined();
    expect((await abTasty('/abtasty/visitors/d-1/segments')).body.segments).toEqual([]);
  });

  it('answers 400 for an invalid visitor id, 404 for an unknown segment, 401 without the AB Tasty token', async () => {
    const invalid = await abTasty('/abtasty/visitors/not_a_visitor/segments');
    const unknown = await abTasty('/abtasty/segments/999999/visitors');
    const unknownCsv = await abTasty('/abtasty/segments/999999/udc.csv');
    const anonymous = await hub.request('GET', '/abtasty/segments');
    const wrongToken = await hub.request('GET', '/abtasty/segments', { headers: { Authorization: `Bearer ${ws.apiKey}` } });

    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toBe('Invalid visitor id');
    expect(unknown.status).toBe(404);
    expect(unknownCsv.status).toBe(404);
    expect([anonymous.status, wrongToken.status]).toEqual([401, 401]);
  });

  it('refuses a members cursor issued for another segment', async () => {
    const page = await abTasty('/abtasty/segments/4242/visitors?limit=1');

    const reused = await abTasty(`/abtasty/segments/5150/visitors?cursor=${encodeURIComponent(page.body.next_cursor as string)}`);

    expect(reused.status).toBe(400);
  });
});
