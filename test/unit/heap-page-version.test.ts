import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { receiveHeapWebhook, type HeapTestDeps as HeapWebhookDeps } from './support/heap-webhook';
import { signHeapBody } from '../../functions/domain/heap-signature';
import type { WorkspaceStore } from '../../functions/domain/ports';
import { heapSyncMessageSchema } from '../../functions/schemas/heap';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import { workspaceRecord } from './fakes/workspace-record';

const SECRET = 'hub_heap_unit';
const NOW = 1_764_000_000_000;
const WORKSPACE: WorkspaceRecord = workspaceRecord();

/** Webhook deps with an in-memory page log (the DynamoDB one keeps the first time with if_not_exists). */
const setup = () => {
  const sent: string[] = [];
  const firstSeen = new Map<string, number>();
  const deps: HeapWebhookDeps = {
    recordReject: () => Promise.reject(new Error('no reject expected')),
    workspaces: { get: () => Promise.resolve(WORKSPACE), recordHeapIdToken: () => Promise.resolve() } as unknown as WorkspaceStore,
    secretOf: () => Promise.resolve(SECRET),
    sender: {
      sendBatch: (_url, bodies) => {
        sent.push(...bodies);
        return Promise.resolve({ failed: [] });
      },
    },
    queueUrl: 'https://sqs/heap',
    window: { pastSeconds: 300, futureSeconds: 60 },
    clock: { now: () => NOW },
    firstReceivedAt: (key, receivedAt) => {
      if (!firstSeen.has(key)) firstSeen.set(key, receivedAt);
      return Promise.resolve(firstSeen.get(key) ?? receivedAt);
    },
  };
  const messages = () => sent.map((body) => heapSyncMessageSchema.parse(JSON.parse(body)));
  return { deps, messages };
};

const send = (deps: HeapWebhookDeps, rawBody: string, receivedAt: number) =>
  receiveHeapWebhook(deps, { workspaceId: WORKSPACE.workspaceId, hashHeader: signHeapBody(SECRET, rawBody, NOW), rawBody, receivedAt });

const page = readFileSync(join(__dirname, '..', 'fixtures', 'heap', 'sync-page-2.json'), 'utf8');

describe('Heap sync page versions', () => {
  it('versions a page Heap re-sends later like the original, so the copy the queue delivers first cannot matter', async () => {
    const { deps, messages } = setup();

    await send(deps, page, NOW);
    await send(deps, page, NOW + 60_000);

    const [original, resent] = messages();
    expect(resent?.version).toBe(original?.version);
    expect(resent?.dedupeKey).toBe(original?.dedupeKey);
    // The receive time itself is still the re-send's own ("last sync" shows when Heap last called).
    expect(resent?.receivedAt).toBe(new Date(NOW + 60_000).toISOString());
  });

  it('gives a different page of the same sync run its own, later version', async () => {
    const { deps, messages } = setup();
    const other = JSON.stringify({ ...JSON.parse(page), data: { ...JSON.parse(page).data, sync_info: { ...JSON.parse(page).data.sync_info, page_number: 7 } } });

    await send(deps, page, NOW);
    await send(deps, other, NOW + 1);

    const [first, second] = messages();
    expect((second?.version ?? '') > (first?.version ?? '')).toBe(true);
  });
});
