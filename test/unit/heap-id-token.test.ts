/** A signed Heap request whose body is refused stores nothing, not even its id_token. */
import { receiveHeapWebhook, type HeapTestDeps as HeapWebhookDeps } from './support/heap-webhook';
import { signHeapBody } from '../../functions/domain/heap-signature';
import type { WorkspaceStore } from '../../functions/domain/ports';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import { workspaceRecord } from './fakes/workspace-record';

const SECRET = 'hub_heap_unit';
const NOW = 1_764_000_000_000;
const record: WorkspaceRecord = workspaceRecord();

const setup = () => {
  const recorded: string[] = [];
  const sent: string[] = [];
  const rejects: string[] = [];
  const deps: HeapWebhookDeps = {
    recordReject: (reject) => (rejects.push(reject.reason), Promise.resolve()),
    workspaces: {
      get: () => Promise.resolve(record),
      recordHeapIdToken: (_id: string, token: string) => {
        recorded.push(token);
        return Promise.resolve();
      },
    } as unknown as WorkspaceStore,
    secretOf: () => Promise.resolve(SECRET),
    sender: { sendBatch: (_url, bodies) => (sent.push(...bodies), Promise.resolve({ failed: [] })) },
    queueUrl: 'https://sqs/heap',
    window: { pastSeconds: 300, futureSeconds: 60 },
    clock: { now: () => NOW },
  };
  const send = (rawBody: string) => receiveHeapWebhook(deps, { workspaceId: record.workspaceId, hashHeader: signHeapBody(SECRET, rawBody, NOW), rawBody, receivedAt: NOW });
  return { send, recorded, sent, rejects };
};

describe('Heap id_token recording', () => {
  it('does not record the id_token of a signed request whose sync data is invalid (the delivery is kept as a reject)', async () => {
    const { send, recorded, sent, rejects } = setup();

    await expect(send(JSON.stringify({ action_type: 'segment.users.sync', id_token: 'tok-bad', data: { segment: {} } }))).resolves.toMatchObject({ outcome: 'rejected' });

    expect(rejects).toEqual([expect.stringContaining('data.segment.id')]);
    expect(recorded).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('records the id_token of an accepted page', async () => {
    const { send, recorded } = setup();
    const body = JSON.stringify({
      action_type: 'segment.users.sync',
      id_token: 'tok-good',
      data: { segment: { id: 1 }, sync_info: { page_number: 1, total_pages: 1, sync_task_id: 't' }, add: [{ id: 'v-1' }] },
    });

    await send(body);

    expect(recorded).toEqual(['tok-good']);
  });
});
