/**
 * Bootstrapping the directory from Braze's own user exports (docs/braze-export.md), end to end on
 * the local stack: the admin CLI's import of a file written exactly as Braze documents it; the same
 * file dropped into the watched folder that stands for the import bucket (an S3 event to the
 * worker); and the scheduled export request against a fake of Braze's `/users/export/segment`
 * (reached through the `BRAZE_REST_URL` override), answered with a download URL or by writing to
 * the bucket. Cohort import reports show unmatched identifiers by reason. No fixed sleeps.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dynamoBrazeExportRegistry } from '../../functions/adapters/braze-export-registry';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { dynamoWorkspaceStore } from '../../functions/adapters/workspace-store';
import { configureBrazeExport } from '../../functions/domain/braze-export-settings';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { runUsersImport } from '../../scripts/lib/users-import';
import { brazeExportKey, startFakeBraze, type FakeBraze } from '../support/fake-braze';
import { eventually, startTestHub, type TestHub } from './harness';

const BRAZE_KEY = 'braze-rest-api-key-0001';
const STARTED_AT = Date.parse('2026-11-20T08:00:00Z');

/** Users as Braze's export writes them: one JSON object per line, absent fields left out, extra fields present. */
const EXPORT_LINES = [
  { created_at: '2026-01-02 10:00:00.000 UTC', user_aliases: [{ alias_name: 'visitor-7f3a', alias_label: 'amplitude_id' }], braze_id: '6001aa00000000000000a001', random_bucket: 1203, devices: [] },
  {
    created_at: '2026-01-03 11:00:00.000 UTC',
    external_id: 'quiet-customer-1',
    user_aliases: [],
    braze_id: '6001aa00000000000000b002',
    first_name: 'Quinn',
    custom_attributes: { loyaltyPoints: 3 },
    devices: [{ model: 'Pixel XL', os: 'Android (Q)', carrier: null, device_id: 'dev-quiet-1', ad_tracking_enabled: true }],
  },
  { external_id: 'loud-customer-2', braze_id: '6001aa00000000000000c003', devices: [{ model: 'iPhone 15', os: 'iOS 17.1', idfv: 'IDFV-LOUD-2' }] },
  { braze_id: '6001aa00000000000000d004', devices: [{ model: 'Chrome', os: 'Mac OS X', device_id: 'dev-anon-3' }] },
  { external_id: 'no-braze-id' },
]
  .map((user) => JSON.stringify(user))
  .join('\n');

describe('directory bootstrap from Braze user exports', () => {
  let hub: TestHub;
  let braze: FakeBraze;
  const dir = mkdtempSync(join(tmpdir(), 'braze-export-'));
  const s3Dir = join(dir, 's3');

  beforeAll(async () => {
    braze = await startFakeBraze(BRAZE_KEY);
    hub = await startTestHub({
      visibilitySeconds: 5,
      s3Dir,
      brazeExportCheckMs: 300,
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT', BRAZE_REST_URL: braze.url, BRAZE_DOWNLOAD_DELAY_SECONDS: '0' },
    });
  });
  afterAll(async () => {
    await hub.stop();
    await braze.close();
    delete process.env.BRAZE_REST_URL;
    delete process.env.HUB_LOCAL_S3_DIR;
    delete process.env.BRAZE_DOWNLOAD_DELAY_SECONDS;
  });

  const bearer = (ws: WorkspaceCredentials) => ({ headers: { Authorization: `Bearer ${ws.apiKey}` } });
  const workspace = async () => {
    const name = `braze-${Math.random().toString(36).slice(2, 8)}`;
    return { ...(await hub.createWorkspace({ name })), name };
  };
  /** Sets the workspace's Braze export the way `workspace set --braze-*` does. */
  const configure = async (ws: WorkspaceCredentials, segmentId: string) => {
    const store = dynamoWorkspaceStore(hub.doc, hub.tables.workspaces);
    const record = (await store.get(ws.workspaceId))!;
    const registry = dynamoBrazeExportRegistry(hub.doc, hub.tables.workspaces);
    const done = await configureBrazeExport({ store, secrets: localSecretBox(hub.secretKey), registry }, record, { restUrl: 'https://rest.iad-01.braze.com', apiKey: BRAZE_KEY, segmentId, every: '24h' });
    expect(done.ok).toBe(true);
  };
  /** The first applied import of a source (configuring a workspace also makes the scheduled request run: the fake may answer it too). */
  const appliedImport = (ws: WorkspaceCredentials, source: 's3' | 'url', what: string) =>
    eventually(async () => {
      const imports = (await hub.request('GET', '/v1/directory/imports', bearer(ws))).body?.imports as { status: string; source: string; users: number }[] | undefined;
      return imports?.find((each) => each.status === 'applied' && each.source === source && each.users > 0);
    }, 30_000, what);
  const profile = async (ws: WorkspaceCredentials, brazeId: string) => {
    const found = (await hub.request('GET', `/v1/users?braze_id=${brazeId}`, bearer(ws))).body;
    return { external_id: found.external_id, aliases: found.aliases, device_ids: found.device_ids };
  };
  const cohortImport = async (ws: WorkspaceCredentials) => {
    const body = {
      partner_api_key: 'segment-key',
      client_secret: ws.dataImportKey,
      cohort_id: 'bootstrap',
      cohort_changes: [
        { aliases: [{ alias_label: 'amplitude_id', alias_name: 'visitor-7f3a' }], user_ids: ['quiet-customer-1', 'nobody-9', ' '], device_ids: ['IDFV-LOUD-2', 'dev-anon-3', 'dev-never'] },
      ],
    };
    const accepted = await hub.request('POST', '/partners/segment/cohorts/users', { body });
    expect(accepted.status).toBe(201);
    return eventually(async () => {
      const report = await hub.request('GET', `/v1/cohorts/bootstrap/imports/${accepted.body.import_id}`, bearer(ws));
      return report.body?.status === 'applied' ? report.body : undefined;
    }, 30_000, 'the cohort import report');
  };

  let cliWorkspace: WorkspaceCredentials & { name: string };

  it('admin CLI: a Braze .gz export makes the alias-only user and the quiet user cohort members; the report shows unmatched by reason', async () => {
    cliWorkspace = await workspace();
    const file = join(dir, brazeExportKey('seg-cli', STARTED_AT, '114f0226319130e1a4770f2602b5639a.gz'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, gzipSync(EXPORT_LINES));

    const summary = await runUsersImport({ file, workspaceName: cliWorkspace.name, doc: hub.doc, tables: hub.tables, format: 'braze-export', progress: false });

    expect(summary).toMatchObject({ rows: 5, rejected: 1, profilesCreated: 4, externalIdsApplied: 2, aliasesApplied: 1, devicesApplied: 3, conflicts: 0, version: STARTED_AT });
    const report = await cohortImport(cliWorkspace);
    expect(report).toMatchObject({ matched: 3, unmatched: 4 });
    expect(report.unmatched_by_reason).toEqual({
      user_ids: { unknown_identifier: 1, malformed: 1, merged_profile_followed: 0 },
      device_ids: { unknown_identifier: 1, device_of_identified_profile: 1, malformed: 0, merged_profile_followed: 0 },
      aliases: { unknown_identifier: 0, malformed: 0, merged_profile_followed: 0 },
    });
    expect(report.unmatched_samples_by_reason).toEqual({ unknown_identifier: ['nobody-9', 'dev-never'], malformed: [' '], device_of_identified_profile: ['IDFV-LOUD-2'] });
    const members = ((await hub.request('GET', '/v1/cohorts/bootstrap/members', bearer(cliWorkspace))).body.members as { braze_id: string }[]).map((m) => m.braze_id).sort();
    expect(members).toEqual(['6001aa00000000000000a001', '6001aa00000000000000b002', '6001aa00000000000000d004']);
    const imports = (await hub.request('GET', '/v1/directory/imports', bearer(cliWorkspace))).body.imports;
    expect(imports).toEqual([
      expect.objectContaining({ source: 'cli', status: 'applied', users: 5, applied: 4, conflicts: 0, rejects: 1, reject_samples: [{ line: 5, reason: expect.stringContaining('braze_id') }], export_started_at: new Date(STARTED_AT).toISOString() }),
    ]);
  });

  it('local stack: the same file under the segment prefix of the watched bucket folder is applied by the worker, with the same result', async () => {
    const ws = await workspace();
    await configure(ws, 'seg-local');
    const key = brazeExportKey('seg-local', STARTED_AT, '3f1b.gz');
    mkdirSync(dirname(join(hub.importBucketDir!, key)), { recursive: true });
    writeFileSync(join(hub.importBucketDir!, key), gzipSync(EXPORT_LINES));

    const applied = await appliedImport(ws, 's3', 'the S3 import');

    expect(applied).toMatchObject({ source: 's3', segment_id: 'seg-local', users: 5, applied: 4, conflicts: 0, rejects: 1, file: expect.stringContaining(key) });
    for (const brazeId of ['6001aa00000000000000a001', '6001aa00000000000000b002', '6001aa00000000000000c003', '6001aa00000000000000d004']) {
      expect(await profile(ws, brazeId)).toEqual(await profile(cliWorkspace, brazeId));
    }
    const report = await cohortImport(ws);
    expect(report.unmatched_by_reason).toEqual((await cohortImport(cliWorkspace)).unmatched_by_reason);
  });

  it('scheduled export: the fake /users/export/segment gets the documented body and bearer key; its download URL is fetched into the worker', async () => {
    const ws = await workspace();
    braze.answerWith({ kind: 'url', files: [EXPORT_LINES.split('\n').slice(0, 2).join('\n'), EXPORT_LINES.split('\n').slice(2, 4).join('\n')], notReadyTimes: 1 });
    await configure(ws, 'seg-url');

    const request = await eventually(() => Promise.resolve(braze.requests.find((each) => (each.body as { segment_id?: string }).segment_id === 'seg-url')), 20_000, 'the export request');
    expect(request.body).toEqual({ segment_id: 'seg-url', fields_to_export: ['braze_id', 'external_id', 'user_aliases', 'devices'] });
    expect(request.headers.authorization).toBe(`Bearer ${BRAZE_KEY}`);
    expect(request.headers['content-type']).toBe('application/json');

    // The URL answers 404 once (not ready): the job comes back later (DelaySeconds), then applies.
    expect(await appliedImport(ws, 'url', 'the download import')).toMatchObject({ source: 'url', users: 4, applied: 4, rejects: 0 });
    expect(braze.downloads.length).toBeGreaterThanOrEqual(2);
    expect((await hub.request('GET', '/v1/users?external_id=quiet-customer-1', bearer(ws))).body.braze_id).toBe('6001aa00000000000000b002');
  }, 60_000);

  it('scheduled export: when Braze writes to the bucket instead, the S3 event brings the files to the worker', async () => {
    const ws = await workspace();
    braze.answerWith({ kind: 'bucket', bucketDir: hub.importBucketDir!, files: [EXPORT_LINES] });
    await configure(ws, 'seg-bucket');

    expect(await appliedImport(ws, 's3', 'the bucket import')).toMatchObject({ source: 's3', segment_id: 'seg-bucket', users: 5, applied: 4 });
  });
});
