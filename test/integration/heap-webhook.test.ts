import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { signHeapBody } from '../../functions/domain/heap-signature';
import { startTestHub, type TestHub } from './harness';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'heap', name), 'utf8');

// Pollers off: what the webhook queued stays in the queue, so "nothing queued" is checked directly.
describe('Heap webhook receiver through the local HTTP server (queue inspected, no worker)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());
  beforeEach(() => hub.sqs.send(new PurgeQueueCommand({ QueueUrl: hub.queues.heapSync.url })));

  const queued = async () => {
    const attributes = await hub.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: hub.queues.heapSync.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  const post = (workspaceId: string, raw: string, header: string | undefined) =>
    hub.request('POST', `/heap/segments/${workspaceId}`, { raw, headers: header === undefined ? {} : { 'Heap-Hash': header } });

  it('queues a page signed like Heap signs it (base64, ms) and answers 200 with the counts', async () => {
    const ws = await hub.createWorkspace();
    const body = fixture('sync-page-1.json');

    const response = await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Date.now()));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'queued', segment_id: '4242', page_number: 1, total_pages: 2, adds: 4, removes: 0, invalid_ids: 3 });
    const received = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: hub.queues.heapSync.url, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((message) => JSON.parse(message.Body ?? '{}').dedupeKey)).toEqual([
      `heap#${ws.workspaceId}#5f0c7a52-2a4e-4d6e-9a53-6c1d3f1c9b10#1#0`,
    ]);
  });

  it('accepts a hex digest over a seconds timestamp', async () => {
    const ws = await hub.createWorkspace();
    const body = fixture('sync-page-2.json');

    const response = await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Math.floor(Date.now() / 1000), 'hex'));

    expect(response.status).toBe(200);
    expect(await queued()).toBe(1);
  });

  it.each([
    ['a tampered body', (secret: string, body: string) => ({ raw: body.replace('visitor-02', 'visitor-66'), header: signHeapBody(secret, body, Date.now()) })],
    ['a wrong secret', (_secret: string, body: string) => ({ raw: body, header: signHeapBody('hub_heap_not-the-secret', body, Date.now()) })],
    ['a stale timestamp', (secret: string, body: string) => ({ raw: body, header: signHeapBody(secret, body, Date.now() - 10 * 60_000) })],
    ['a far-future timestamp', (secret: string, body: string) => ({ raw: body, header: signHeapBody(secret, body, Date.now() + 10 * 60_000) })],
  ])('answers 403 to %s and queues nothing', async (_name, make) => {
    const ws = await hub.createWorkspace();
    const { raw, header } = make(ws.heapWebhookSecret, fixture('sync-page-1.json'));

    const response = await post(ws.workspaceId, raw, header);

    expect(response.status).toBe(403);
    expect(response.body).toEqual({ message: 'Forbidden' });
    expect(await queued()).toBe(0);
    const record = await dynamoWorkspaceStore(hub.doc, hub.tables.workspaces).get(ws.workspaceId);
    expect(record?.heapIdTokensSeen).toEqual([]);
  });

  // Heap's reference receiver (heap/heap-api-reference, middleware/validateHeapHeader.ts) answers 400 here.
  it.each([
    ['no Heap-Hash header', undefined, 'Expected "heap-hash" in the header'],
    ['a malformed Heap-Hash header', 'sha256=deadbeef', 'Improperly formatted "heap-hash" header'],
  ])('answers 400 to %s and queues nothing', async (_name, header, message) => {
    const ws = await hub.createWorkspace();

    const response = await post(ws.workspaceId, fixture('sync-page-1.json'), header);

    expect([response.status, response.body?.message]).toEqual([400, message]);
    expect(await queued()).toBe(0);
  });

  it('answers a signed body it cannot use with 200, queues nothing and lists it at GET /v1/heap/rejects', async () => {
    const ws = await hub.createWorkspace();
    const bodies = ['{"action_type": "segment.users.sync", "data": {"segment": {"id": 5}}}', '[1, 2'];

    const answers = [];
    for (const body of bodies) answers.push(await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Date.now())));
    const listed = await hub.request('GET', '/v1/heap/rejects', { headers: { Authorization: `Bearer ${ws.apiKey}` } });
    const other = await hub.createWorkspace();
    const isolated = await hub.request('GET', '/v1/heap/rejects', { headers: { Authorization: `Bearer ${other.apiKey}` } });

    expect(answers.map((answer) => [answer.status, answer.body?.status])).toEqual([[200, 'rejected'], [200, 'rejected']]);
    expect(await queued()).toBe(0);
    expect(listed.status).toBe(200);
    expect(listed.body.rejects.map((reject: { raw: string }) => reject.raw).sort()).toEqual([...bodies].sort());
    expect(listed.body.rejects.map((reject: { reason: string }) => reject.reason)).toEqual(expect.arrayContaining(['Body is not valid JSON', expect.stringContaining('data.sync_info')]));
    expect(isolated.body.rejects).toEqual([]);
  });

  it('answers an unknown workspace with the same 403', async () => {
    const body = fixture('sync-page-1.json');

    const response = await post('ws0000000000000000', body, signHeapBody('anything', body, Date.now()));

    expect(response.status).toBe(403);
    expect(response.body).toEqual({ message: 'Forbidden' });
  });

  it('records the id_token seen, and refuses other tokens once one is pinned', async () => {
    const ws = await hub.createWorkspace();
    const store = dynamoWorkspaceStore(hub.doc, hub.tables.workspaces);
    const body = fixture('sync-page-1.json');
    await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Date.now()));
    await store.update(ws.workspaceId, { heapIdTokenPinned: 'another-connection' });
    await hub.sqs.send(new PurgeQueueCommand({ QueueUrl: hub.queues.heapSync.url }));

    const refused = await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Date.now()));

    expect((await store.get(ws.workspaceId))?.heapIdTokensSeen).toEqual(['heap-connection-token-1']);
    expect(refused.status).toBe(403);
    expect(await queued()).toBe(0);
  });

  it('answers 200 to an unknown action type and queues nothing', async () => {
    const ws = await hub.createWorkspace();
    const body = fixture('unknown-action.json');

    const response = await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Date.now()));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ignored', action_type: 'segment.users.something_new' });
    expect(await queued()).toBe(0);
  });

  it('verifies Heap\'s reference sample body byte for byte', async () => {
    const ws = await hub.createWorkspace();
    const body = fixture('reference-sample.json').trimEnd();

    const response = await post(ws.workspaceId, body, signHeapBody(ws.heapWebhookSecret, body, Date.now()));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ segment_id: '1', adds: 1, removes: 1, invalid_ids: 0 });
  });
});
