import { gzipSync } from 'node:zlib';
import { DOWNLOAD_RETRY_SECONDS, MAX_DOWNLOAD_ATTEMPTS, processBrazeExportMessage, type BrazeExportJobDeps } from '../../functions/domain/braze-export-jobs';
import type { BrazeExportEntry, DirectoryImportReport, DownloadOutcome } from '../../functions/domain/ports';
import type { BrazeExportMessage, DownloadJob } from '../../functions/schemas/braze-export';
import { chunked, zipArchive } from '../support/zip';
import { importDeps } from './fakes/directory-import';

const KEY = 'segment-export/seg-1/2024-01-02/0c5f6a1e-9a64-4d4b-9d7e-1f2a3b4c5d6e-1704153600/3f1b.gz';
const USERS = [
  JSON.stringify({ braze_id: 'b-alias', user_aliases: [{ alias_name: 'c-1', alias_label: 'crm' }] }),
  JSON.stringify({ braze_id: 'b-quiet', external_id: 'quiet-1' }),
].join('\n');

const setup = (options: { objects?: Record<string, Buffer>; download?: DownloadOutcome; registry?: BrazeExportEntry[] } = {}) => {
  const base = importDeps();
  const reports: DirectoryImportReport[] = [];
  const applied: string[] = [];
  const sent: { body: string; delay: number }[] = [];
  const deps: BrazeExportJobDeps = {
    ...base.deps,
    registry: { list: () => Promise.resolve(options.registry ?? [{ workspaceId: 'ws1', segmentId: 'seg-1', everyMs: 86_400_000 }]) },
    reports: { put: (report) => Promise.resolve(void reports.push(report)) },
    objects: {
      open: (bucket, key) => {
        const bytes = options.objects?.[`${bucket}/${key}`];
        return bytes ? Promise.resolve(chunked(bytes, [97])) : Promise.reject(new Error('NoSuchKey'));
      },
      markApplied: (bucket, key) => Promise.resolve(void applied.push(`${bucket}/${key}`)),
    },
    downloads: { get: () => Promise.resolve(options.download ?? { ready: false, status: 404 }) },
    queue: { sendLater: (body, delay) => Promise.resolve(void sent.push({ body, delay })) },
  };
  return { ...base, deps, reports, applied, sent };
};

const s3Message = (key = KEY): BrazeExportMessage => ({ kind: 's3', dedupeKey: 'k', objects: [{ bucket: 'imports', key }] });
const job = (attempt = 0): DownloadJob => ({ type: 'download', dedupeKey: 'braze-download#ws1#1', workspaceId: 'ws1', segmentId: 'seg-1', url: 'https://secret-url', version: 1_700_000_000_000, objectPrefix: 'prefix-1', attempt });

describe('Braze export worker', () => {
  it('applies an object under the segment prefix to the workspace that exports the segment, versioned by its key', async () => {
    const { deps, directory, reports, applied } = setup({ objects: { [`imports/${KEY}`]: gzipSync(USERS) } });

    const [outcome] = await processBrazeExportMessage(deps, s3Message());

    expect(outcome).toMatchObject({ status: 'applied', counts: { rows: 2, profilesCreated: 2, aliasesApplied: 1, externalIdsApplied: 1 } });
    expect(directory.profile('ws1', 'b-quiet')?.identityVersion).toBe(1_704_153_600_000);
    expect(reports.map((report) => report.status)).toEqual(['running', 'applied']);
    expect(reports[1]).toMatchObject({ file: `s3://imports/${KEY}`, source: 's3', segmentId: 'seg-1', exportStartedAt: '2024-01-02T00:00:00.000Z', counts: { rows: 2 } });
    expect(applied).toEqual([`imports/${KEY}`]);
  });

  it('skips an object of another segment or layout, and S3 test events', async () => {
    const { deps, reports } = setup();

    const outcomes = await processBrazeExportMessage(deps, { kind: 's3', dedupeKey: 'k', objects: [{ bucket: 'b', key: KEY.replace('seg-1', 'seg-2') }, { bucket: 'b', key: 'currents/x.avro' }] });

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped']);
    expect(await processBrazeExportMessage(deps, { kind: 'test', dedupeKey: 't' })).toEqual([]);
    expect(reports).toEqual([]);
  });

  it('reports a broken object as failed without retrying it', async () => {
    const { deps, reports, applied } = setup({ objects: { [`imports/${KEY}`]: Buffer.concat([gzipSync(USERS).subarray(0, 20), Buffer.from('junk')]) } });

    const [outcome] = await processBrazeExportMessage(deps, s3Message());

    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining('gzip') });
    expect(reports.at(-1)).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('could not be read') });
    expect(applied).toEqual([]);
  });

  it('throws (so SQS redelivers) when the object cannot be fetched', async () => {
    const { deps } = setup();

    await expect(processBrazeExportMessage(deps, s3Message())).rejects.toThrow('NoSuchKey');
  });

  it('downloads a ready URL (a ZIP of all the files), versioned by the request time, the URL in no report', async () => {
    const archive = zipArchive([{ name: 'a.json', data: USERS, descriptor: 'signed' }]);
    const { deps, reports } = setup({ download: { ready: true, body: chunked(archive, [64]) } });

    const [outcome] = await processBrazeExportMessage(deps, { kind: 'download', ...job() });

    expect(outcome).toMatchObject({ status: 'applied', counts: { profilesCreated: 2 } });
    expect(reports.at(-1)).toMatchObject({ source: 'url', file: 'braze-download:prefix-1', exportStartedAt: new Date(1_700_000_000_000).toISOString() });
    expect(JSON.stringify(reports)).not.toContain('secret-url');
  });

  it('sends a download job that is not ready back for later, and gives up after about four hours', async () => {
    const { deps, sent } = setup({ download: { ready: false, status: 403 } });

    const [first] = await processBrazeExportMessage(deps, { kind: 'download', ...job() });
    const [last] = await processBrazeExportMessage(deps, { kind: 'download', ...job(MAX_DOWNLOAD_ATTEMPTS - 1) });

    expect(first).toMatchObject({ status: 'not-ready', reason: 'HTTP 403' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.delay).toBe(DOWNLOAD_RETRY_SECONDS);
    expect(JSON.parse(sent[0]?.body ?? '{}')).toMatchObject({ type: 'download', attempt: 1, dedupeKey: 'braze-download#ws1#1#attempt1' });
    expect(last).toMatchObject({ status: 'failed' });
    expect(MAX_DOWNLOAD_ATTEMPTS * DOWNLOAD_RETRY_SECONDS).toBe(4 * 3600);
  });
});
