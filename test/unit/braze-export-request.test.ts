import { DUE_SLACK_MS, FIRST_DOWNLOAD_DELAY_SECONDS, requestDueExports, type ExportRequesterDeps } from '../../functions/domain/braze-export-request';
import { brazeExportProblems, configureBrazeExport, normaliseRestUrl, parseEvery } from '../../functions/domain/braze-export-settings';
import type { BrazeExportEntry, SegmentExportAnswer } from '../../functions/domain/ports';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';
import { workspaceRecord } from './fakes/workspace-record';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

const memoryRegistry = () => {
  const entries = new Map<string, BrazeExportEntry>();
  return {
    entries,
    put: (entry: Pick<BrazeExportEntry, 'workspaceId' | 'segmentId' | 'everyMs'>) => Promise.resolve(void entries.set(entry.workspaceId, { ...entries.get(entry.workspaceId), ...entry })),
    list: () => Promise.resolve([...entries.values()].map((entry) => ({ ...entry }))),
    claimRun: (workspaceId: string, dueBefore: number, now: number) => {
      const entry = entries.get(workspaceId);
      if (!entry || (entry.lastRequestedAt !== undefined && entry.lastRequestedAt > dueBefore)) return Promise.resolve(false);
      entries.set(workspaceId, { ...entry, lastRequestedAt: now });
      return Promise.resolve(true);
    },
    recordOutcome: (workspaceId: string, outcome: string, lastRequestedAt: number | undefined) => {
      const entry = entries.get(workspaceId);
      if (entry) entries.set(workspaceId, { workspaceId, segmentId: entry.segmentId, everyMs: entry.everyMs, lastOutcome: outcome, ...(lastRequestedAt !== undefined ? { lastRequestedAt } : {}) });
      return Promise.resolve();
    },
  };
};

const setup = async (answer: SegmentExportAnswer | Error) => {
  const store = memoryWorkspaceStore();
  const record = workspaceRecord({ workspaceId: 'ws1', name: 'acme' });
  await store.create(record);
  const registry = memoryRegistry();
  await configureBrazeExport({ store, secrets: fakeSecretBox, registry }, record, { restUrl: 'https://rest.fra-01.braze.eu/', apiKey: 'braze-rest-key-1', segmentId: 'seg-1' });
  const calls: { restUrl: string; apiKey: string; body: unknown }[] = [];
  const sent: { body: string; delay: number }[] = [];
  let now = NOW;
  const deps: ExportRequesterDeps = {
    registry,
    workspaces: store,
    secrets: fakeSecretBox,
    braze: {
      exportSegment: (restUrl, apiKey, body) => {
        calls.push({ restUrl, apiKey, body });
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    },
    queue: { sendLater: (body, delay) => Promise.resolve(void sent.push({ body, delay })) },
    clock: { now: () => now },
  };
  return { deps, store, registry, calls, sent, advance: (ms: number) => (now += ms) };
};

describe('scheduled Braze export requests', () => {
  it('asks Braze with the documented body and the decrypted key, once per period', async () => {
    const { deps, calls, store } = await setup({ ok: true, objectPrefix: 'p-1' });

    const first = await requestDueExports(deps);
    const again = await requestDueExports(deps);

    expect(first).toEqual([{ workspaceId: 'ws1', outcome: 'bucket', detail: 'p-1' }]);
    expect(calls).toEqual([{ restUrl: 'https://rest.fra-01.braze.eu', apiKey: 'braze-rest-key-1', body: { segment_id: 'seg-1', fields_to_export: ['braze_id', 'external_id', 'user_aliases', 'devices'] } }]);
    expect(again).toEqual([{ workspaceId: 'ws1', outcome: 'not-due' }]);
    expect((await store.get('ws1'))?.brazeExport?.apiKeyCiphertext).not.toContain('braze-rest-key-1');
  });

  it('is due again one period later (less the scheduler slack), and the override URL wins', async () => {
    const { deps, calls, advance } = await setup({ ok: true });
    await requestDueExports(deps);

    advance(DAY - DUE_SLACK_MS);
    await requestDueExports({ ...deps, restUrlOverride: 'http://127.0.0.1:9999' });

    expect(calls.map((call) => call.restUrl)).toEqual(['https://rest.fra-01.braze.eu', 'http://127.0.0.1:9999']);
  });

  it("turns Braze's download url into a download job on the worker's queue", async () => {
    const { deps, sent } = await setup({ ok: true, objectPrefix: 'p-2', url: 'https://braze-exports.example/x.zip?sig=1' });

    expect(await requestDueExports(deps)).toEqual([{ workspaceId: 'ws1', outcome: 'download', detail: 'p-2' }]);
    expect(sent).toEqual([{ delay: FIRST_DOWNLOAD_DELAY_SECONDS, body: expect.any(String) }]);
    expect(JSON.parse(sent[0]!.body)).toEqual({ type: 'download', dedupeKey: `braze-download#ws1#${NOW}`, workspaceId: 'ws1', segmentId: 'seg-1', url: 'https://braze-exports.example/x.zip?sig=1', version: NOW, objectPrefix: 'p-2', attempt: 0 });
  });

  it('gives the period back when Braze refuses or cannot be reached, so the next run asks again', async () => {
    const refused = await setup({ ok: false, status: 429, message: 'rate limited' });
    const unreachable = await setup(new Error('ECONNREFUSED'));

    expect(await requestDueExports(refused.deps)).toEqual([{ workspaceId: 'ws1', outcome: 'refused', detail: 'HTTP 429: rate limited' }]);
    expect(await requestDueExports(refused.deps)).toEqual([{ workspaceId: 'ws1', outcome: 'refused', detail: 'HTTP 429: rate limited' }]);
    expect(await requestDueExports(unreachable.deps)).toEqual([{ workspaceId: 'ws1', outcome: 'failed', detail: 'Error' }]);
    expect(refused.registry.entries.get('ws1')).toMatchObject({ lastOutcome: expect.stringContaining('refused HTTP 429') });
    expect(refused.registry.entries.get('ws1')?.lastRequestedAt).toBeUndefined();
  });

  it('asks nothing for a disabled workspace', async () => {
    const { deps, calls, store, registry } = await setup({ ok: true });
    const record = (await store.get('ws1'))!;
    await configureBrazeExport({ store, secrets: fakeSecretBox, registry }, record, { enabled: false });

    expect(await requestDueExports(deps)).toEqual([{ workspaceId: 'ws1', outcome: 'disabled' }]);
    expect(calls).toEqual([]);
  });
});

describe('Braze export settings', () => {
  it('needs the URL, key and segment to start, and checks each', () => {
    expect(brazeExportProblems(undefined, { segmentId: 'seg' })).toEqual([
      '--braze-rest-url is required to set up the Braze export',
      '--braze-api-key is required to set up the Braze export',
    ]);
    expect(brazeExportProblems(undefined, { restUrl: 'http://rest.iad-01.braze.com', apiKey: 'short', segmentId: 'a b', every: '10m' })).toHaveLength(4);
  });

  it('reads periods and REST URLs', () => {
    expect(parseEvery('24h')).toBe(DAY);
    expect(parseEvery('7d')).toBe(7 * DAY);
    expect(parseEvery('soon')).toBeUndefined();
    expect(normaliseRestUrl('https://rest.iad-01.braze.com/')).toBe('https://rest.iad-01.braze.com');
    expect(normaliseRestUrl('http://127.0.0.1:4010')).toBe('http://127.0.0.1:4010');
    expect(normaliseRestUrl('http://rest.iad-01.braze.com')).toBeUndefined();
    expect(normaliseRestUrl('https://rest.iad-01.braze.com/?key=1')).toBeUndefined();
  });
});
