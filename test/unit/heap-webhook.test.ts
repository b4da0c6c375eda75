import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeapReject } from '../../functions/domain/heap-webhook';
import { cachedHeapSecrets } from '../../functions/domain/heap-webhook-auth';
import { receiveHeapWebhook, type HeapTestDeps as HeapWebhookDeps } from './support/heap-webhook';
import { signHeapBody } from '../../functions/domain/heap-signature';
import type { SecretBox, WorkspaceStore } from '../../functions/domain/ports';
import { MAX_MESSAGE_BYTES } from '../../functions/shared/definitions/queues';
import { heapSyncMessageSchema, type HeapSyncMessage } from '../../functions/schemas/heap';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import { workspaceRecord } from './fakes/workspace-record';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'heap', name), 'utf8');
const SECRET = 'hub_heap_unit';
const NOW = 1_764_000_000_000;

const workspace = workspaceRecord;

const setup = (record: WorkspaceRecord | undefined = workspace(), sendFails = false) => {
  const sent: string[] = [];
  const recordedTokens: string[] = [];
  const rejects: HeapReject[] = [];
  const store = {
    get: (id: string) => Promise.resolve(record && id === record.workspaceId ? record : undefined),
    recordHeapIdToken: (_id: string, token: string) => {
      recordedTokens.push(token);
      return Promise.resolve();
    },
  } as unknown as WorkspaceStore;
  const deps: HeapWebhookDeps = {
    recordReject: (reject) => (rejects.push(reject), Promise.resolve()),
    workspaces: store,
    secretOf: () => Promise.resolve(SECRET),
    sender: {
      sendBatch: (_url, bodies) => {
        if (sendFails) return Promise.reject(new Error('SQS down'));
        sent.push(...bodies);
        return Promise.resolve({ failed: [] });
      },
    },
    queueUrl: 'https://sqs/heap',
    window: { pastSeconds: 300, futureSeconds: 60 },
    clock: { now: () => NOW },
  };
  const messages = () => sent.map((body) => heapSyncMessageSchema.parse(JSON.parse(body)));
  return { deps, sent, messages, recordedTokens, rejects };
};

const request = (rawBody: string, overrides: { header?: string; workspaceId?: string } = {}) => ({
  workspaceId: overrides.workspaceId ?? 'ws0123456789abcdef',
  hashHeader: overrides.header ?? signHeapBody(SECRET, rawBody, NOW),
  rawBody,
  receivedAt: NOW,
});

describe('receiving a Heap segment sync page', () => {
  it('queues the valid, lower-cased ids of a page and counts the invalid ones', async () => {
    // Arrange
    const { deps, messages } = setup();

    // Act
    const result = await receiveHeapWebhook(deps, request(fixture('sync-page-1.json')));

    // Assert
    expect(result).toMatchObject({ outcome: 'queued', segmentId: '4242', pageNumber: 1, totalPages: 2, adds: 4, removes: 0, invalidIds: 3 });
    const [message] = messages();
    expect(messages()).toHaveLength(1);
    expect(message).toMatchObject<Partial<HeapSyncMessage>>({
      type: 'sync',
      segmentId: '4242',
      segmentName: 'Engaged shoppers',
      syncTaskId: '5f0c7a52-2a4e-4d6e-9a53-6c1d3f1c9b10',
      pageNumber: 1,
      totalPages: 2,
      part: 0,
      parts: 1,
      dedupeKey: 'heap#ws0123456789abcdef#5f0c7a52-2a4e-4d6e-9a53-6c1d3f1c9b10#1#0',
    });
    expect(message?.add).toEqual(['1a2b3c4d5e6f7a8b', 'visitor-upper-01', 'visitor-02', 'visitor-03']);
  });

  it('gives a re-sent page the same message keys, so the worker applies it once', async () => {
    const first = setup();
    const second = setup();
    const body = fixture('sync-page-2.json');

    await receiveHeapWebhook(first.deps, request(body));
    await receiveHeapWebhook(second.deps, { ...request(body), receivedAt: NOW + 60_000 });

    expect(second.messages().map((m) => m.dedupeKey)).toEqual(first.messages().map((m) => m.dedupeKey));
  });

  it('removes a visitor listed in both add and remove of the same page', async () => {
    const { deps, messages } = setup();
    const body = JSON.stringify({
      action_type: 'segment.users.sync',
      data: { segment: { id: 1, name: 's' }, sync_info: { page_number: 1, total_pages: 1, sync_task_id: 't' }, add: [{ id: 'abc' }], remove: [{ id: 'ABC' }] },
    });

    await receiveHeapWebhook(deps, request(body));

    expect(messages()[0]).toMatchObject({ add: [], remove: ['abc'] });
  });

  it('splits a 10,000-id page into a few messages under the SQS limit, each visitor in exactly one', async () => {
    const { deps, sent, messages } = setup();
    const ids = Array.from({ length: 10_000 }, (_, index) => `v-${index.toString().padStart(6, '0')}-${'a'.repeat(22)}`);
    const body = JSON.stringify({
      action_type: 'segment.users.sync',
      id_token: 'tok',
      data: { segment: { id: 9, name: 'big' }, sync_info: { page_number: 3, total_pages: 5, sync_task_id: 'run' }, add: ids.map((id) => ({ id })), remove: [] },
    });

    await receiveHeapWebhook(deps, request(body));

    expect(sent.length).toBeGreaterThan(1);
    expect(sent.length).toBeLessThanOrEqual(4);
    expect(sent.every((message) => Buffer.byteLength(message) <= MAX_MESSAGE_BYTES)).toBe(true);
    expect(messages().flatMap((m) => m.add).sort()).toEqual(ids.slice().sort());
    expect(messages().map((m) => [m.part, m.parts])).toEqual(sent.map((_, index) => [index, sent.length]));
    expect(new Set(messages().map((m) => m.dedupeKey)).size).toBe(sent.length);
  });

  it('queues a page with no valid ids anyway, so the run progress and segment name are recorded', async () => {
    const { deps, messages } = setup();
    const body = JSON.stringify({
      action_type: 'segment.users.sync',
      data: { segment: { id: 1, name: 's' }, sync_info: { page_number: 2, total_pages: 2, sync_task_id: 't' }, add: [{ id: 'not valid' }] },
    });

    const result = await receiveHeapWebhook(deps, request(body));

    expect(result).toMatchObject({ adds: 0, invalidIds: 1 });
    expect(messages()).toEqual([expect.objectContaining({ add: [], remove: [], pageNumber: 2 })]);
  });

  it('queues a drain of the segment', async () => {
    const { deps, messages } = setup();

    const result = await receiveHeapWebhook(deps, request(fixture('drain.json')));

    expect(result).toEqual({ outcome: 'queued', action: 'segment.users.drain', segmentId: '777', messages: 1 });
    expect(messages()[0]).toMatchObject({ type: 'drain', segmentId: '777', segmentName: 'Churn risk' });
  });

  it('answers an unknown action type as ignored and queues nothing', async () => {
    const { deps, sent } = setup();

    const result = await receiveHeapWebhook(deps, request(fixture('unknown-action.json')));

    expect(result).toEqual({ outcome: 'ignored', action: 'segment.users.something_new' });
    expect(sent).toEqual([]);
  });

  it('refuses a bad signature before reading the body, and queues nothing', async () => {
    const { deps, sent } = setup();
    const body = fixture('sync-page-1.json');

    await expect(receiveHeapWebhook(deps, request(body, { header: signHeapBody('wrong', body, NOW) }))).rejects.toMatchObject({ status: 403, reason: 'mismatch' });
    await expect(receiveHeapWebhook(deps, request('{not json', { header: signHeapBody('wrong', '{not json', NOW) }))).rejects.toMatchObject({ status: 403, message: 'Forbidden' });
    expect(sent).toEqual([]);
  });

  it('refuses an unknown workspace with the same 403 as a bad signature', async () => {
    const { deps } = setup();
    const body = fixture('sync-page-1.json');

    const error = await receiveHeapWebhook(deps, request(body, { workspaceId: 'ws-unknown' })).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 403, message: 'Forbidden', reason: 'unknown-workspace' });
  });

  it('records a new id_token once, and refuses another token when one is pinned', async () => {
    const fresh = setup();
    const seen = setup(workspace({ heapIdTokensSeen: ['heap-connection-token-1'] }));
    const pinned = setup(workspace({ heapIdTokenPinned: 'the-pinned-token' }));
    const body = fixture('sync-page-1.json');

    await receiveHeapWebhook(fresh.deps, request(body));
    await receiveHeapWebhook(seen.deps, request(body));
    const refused = await receiveHeapWebhook(pinned.deps, request(body)).catch((e: unknown) => e);

    expect(fresh.recordedTokens).toEqual(['heap-connection-token-1']);
    expect(seen.recordedTokens).toEqual([]);
    expect(refused).toMatchObject({ status: 403, reason: 'id-token' });
    expect(pinned.sent).toEqual([]);
  });

  it('answers a signed body that is not JSON or lacks sync_info as handled (200), keeps it with its reason, and queues nothing', async () => {
    const { deps, rejects, sent } = setup();
    const noSyncInfo = JSON.stringify({ action_type: 'segment.users.sync', data: { segment: { id: 1 } } });

    await expect(receiveHeapWebhook(deps, request('{not json'))).resolves.toEqual({ outcome: 'rejected', reason: 'Body is not valid JSON' });
    await expect(receiveHeapWebhook(deps, request(noSyncInfo))).resolves.toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('data.sync_info') });

    expect(rejects.map((reject) => reject.rawBody)).toEqual(['{not json', noSyncInfo]);
    expect(sent).toEqual([]);
  });

  it('answers 400 for a missing or malformed Heap-Hash (as Heap\'s reference receiver), 403 for a stale one', async () => {
    const { deps } = setup();
    const body = fixture('sync-page-1.json');

    await expect(receiveHeapWebhook(deps, { ...request(body), hashHeader: undefined })).rejects.toMatchObject({ status: 400 });
    await expect(receiveHeapWebhook(deps, request(body, { header: 'ts:1,nohmac' }))).rejects.toMatchObject({ status: 400 });
    await expect(receiveHeapWebhook(deps, request(body, { header: signHeapBody(SECRET, body, NOW - 3_600_000) }))).rejects.toMatchObject({ status: 403, reason: 'stale' });
  });

  it('accepts a drain without id_token when a token is pinned; a drain with another token is refused', async () => {
    const { deps, messages } = setup(workspace({ heapIdTokenPinned: 'the-pinned-token' }));
    const drain = JSON.stringify({ action_type: 'segment.users.drain', data: { segment: { id: 9, name: 'S' } } });
    const other = JSON.stringify({ action_type: 'segment.users.drain', id_token: 'not-pinned', data: { segment: { id: 9 } } });

    await expect(receiveHeapWebhook(deps, request(drain))).resolves.toMatchObject({ outcome: 'queued', action: 'segment.users.drain' });
    await expect(receiveHeapWebhook(deps, request(other))).rejects.toMatchObject({ status: 403, reason: 'id-token' });
    expect(messages()).toHaveLength(1);
  });

  it('versions a retried drain (same signed timestamp, same body) like its first receive; a drain signed later is a new drain', async () => {
    const firstSeen = new Map<string, number>();
    const { deps, messages } = setup();
    const log: HeapWebhookDeps = { ...deps, firstReceivedAt: (key, at) => Promise.resolve(firstSeen.get(key) ?? (firstSeen.set(key, at), at)) };
    const drain = fixture('drain.json');

    await receiveHeapWebhook(log, request(drain));
    await receiveHeapWebhook({ ...log, clock: { now: () => NOW + 30_000 } }, { ...request(drain), receivedAt: NOW + 30_000 });
    await receiveHeapWebhook({ ...log, clock: { now: () => NOW + 60_000 } }, { ...request(drain, { header: signHeapBody(SECRET, drain, NOW + 60_000) }), receivedAt: NOW + 60_000 });

    const [first, retry, next] = messages();
    expect(retry).toMatchObject({ version: first?.version, dedupeKey: first?.dedupeKey });
    expect((next?.version ?? '') > (first?.version ?? '')).toBe(true);
    expect(next?.dedupeKey).not.toBe(first?.dedupeKey);
  });

  it('rejects (200, kept) a sync_task_id over its key byte budget like any malformed sync_info, and queues nothing', async () => {
    const { deps, sent } = setup();
    const page = (syncTaskId: string) =>
      JSON.stringify({ action_type: 'segment.users.sync', data: { segment: { id: 1 }, sync_info: { page_number: 1, total_pages: 1, sync_task_id: syncTaskId }, add: [{ id: 'abc' }] } });

    // 256 characters of 4 bytes: 1,024 bytes, and `SYNC#<id>` would be a 1,029-byte sort key.
    await expect(receiveHeapWebhook(deps, request(page('😀'.repeat(256))))).resolves.toEqual({
      outcome: 'rejected',
      reason: 'Invalid segment.users.sync body: data.sync_info.sync_task_id: sync_task_id is longer than 1019 bytes (UTF-8)',
    });
    expect(sent).toEqual([]);
    await receiveHeapWebhook(deps, request(page(`${'😀'.repeat(254)}éa`)));
    expect(sent).toHaveLength(1);
  });

  it('answers 503 (nothing accepted) when the queue does not take the page', async () => {
    const { deps } = setup(workspace(), true);

    await expect(receiveHeapWebhook(deps, request(fixture('sync-page-1.json')))).rejects.toMatchObject({ status: 503 });
  });
});

describe('webhook secret cache', () => {
  it('decrypts once per ciphertext while fresh, and again after rotation or expiry', async () => {
    let clock = 0;
    const decrypted: string[] = [];
    const box: SecretBox = {
      encrypt: () => Promise.reject(new Error('unused')),
      decrypt: (ciphertext) => {
        decrypted.push(ciphertext);
        return Promise.resolve(`plain-${ciphertext}`);
      },
    };
    const secretOf = cachedHeapSecrets(box, { now: () => clock }, { ttlMs: 1000 });

    await secretOf(workspace());
    await secretOf(workspace());
    const rotated = await secretOf(workspace({ credentialCiphertexts: { heapWebhookSecret: 'cipher-2' } }));
    clock = 2000;
    await secretOf(workspace());

    expect(rotated).toBe('plain-cipher-2');
    expect(decrypted).toEqual(['cipher-1', 'cipher-2', 'cipher-1']);
  });
});
