/**
 * The per-identifier decision log on the local stack: cohort imports that add, re-add, remove, name
 * an unknown and a device-of-identified identifier; `GET /v1/trace` shows each identifier's recent
 * decisions newest first; the admin CLI (`trace`, run as a child process like `npm run admin`)
 * prints the same; switched off per workspace nothing is logged; a deletion (Currents
 * users.UserDeleteRequest, and `admin users delete`) removes the user's history and decisions.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { directoryStore } from '../../functions/adapters/directory';
import { claimKey } from '../../functions/adapters/dynamo/keys';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub } from './harness';

const COHORT = 'decision-cohort';
const PREFIX = `t${randomBytes(4).toString('hex')}`;
const NAME = 'decision-log';

type Decision = { import_id: string; decision: string; reason: string | null; braze_id: string | null; op: string };

describe('decision log through the local stack', () => {
  let hub: TestHub;
  let creds: WorkspaceCredentials;
  let hubDir: string;
  const now = new Date().toISOString();
  const read = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${creds.apiKey}` } });
  const importChange = async (change: Record<string, unknown>): Promise<string> => {
    const response = await hub.request('POST', '/partners/heap/cohorts/users', {
      body: { partner_api_key: 'heap-key', client_secret: creds.dataImportKey, cohort_id: COHORT, cohort_changes: [change] },
    });
    expect(response.status).toBe(201);
    const importId = response.body.import_id as string;
    await eventually(async () => ((await read(`/v1/cohorts/${COHORT}/imports/${importId}`)).body?.status === 'applied' ? true : undefined), 20000, `import ${importId}`);
    return importId;
  };
  const decisions = async (query: string): Promise<[string, string, string | null, string | null][]> => {
    const answer = await read(`/v1/trace?cohort_id=${COHORT}&${query}`);
    expect(answer.status).toBe(200);
    return (answer.body.recent_decisions as Decision[]).map((d) => [d.import_id, d.decision, d.reason, d.braze_id]);
  };
  const admin = (args: string[]) =>
    new Promise<{ code: number | null; output: string }>((done) => {
      const child = spawn(process.execPath, [resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/admin.ts', ...args], {
        env: { ...process.env, HUB_DIR: hubDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => done({ code, output }));
    });
  const profile = async (brazeId: string, claims: ({ kind: 'external_id' | 'device_id'; value: string })[], identified = false) => {
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    await directory.createProfile(creds.workspaceId, brazeId, now);
    for (const claim of claims) expect(await directory.claim(creds.workspaceId, brazeId, claim, now)).toBe('claimed');
    for (const claim of claims.filter((c) => identified && c.kind === 'device_id')) {
      await hub.doc.send(new UpdateCommand({ TableName: hub.tables.aliases, Key: claimKey(creds.workspaceId, `dev#${claim.value}`), UpdateExpression: 'SET ownerIdentified = :t', ExpressionAttributeValues: { ':t': true } }));
    }
  };
  /** Every history-table item (flip or decision) about a braze id or naming one of its identifiers. */
  const storedAbout = async (brazeId: string, values: string[]) => {
    const items = (await hub.doc.send(new ScanCommand({ TableName: hub.tables.history }))).Items ?? [];
    return items.filter((item) => item.memberId === brazeId || item.brazeId === brazeId || values.includes(String((item.identifier as { value?: string } | undefined)?.value)));
  };

  beforeAll(async () => {
    // The history's stream consumer runs: an import's added and removed decisions are told by the flips it records.
    hub = await startTestHub({ prefix: PREFIX, visibilitySeconds: 5, env: { POWERTOOLS_LOG_LEVEL: 'SILENT' }, streamPollers: true });
    creds = await hub.createWorkspace({ name: NAME, partnerName: 'heap' });
    hubDir = mkdtempSync(join(tmpdir(), 'hub-decisions-'));
    writeFileSync(join(hubDir, 'runtime.json'), JSON.stringify({ dynamoEndpoint: process.env.HUB_TEST_DYNAMO_ENDPOINT, sqsEndpoint: process.env.HUB_TEST_SQS_ENDPOINT, prefix: PREFIX, url: hub.url, pid: process.pid }));
    writeFileSync(join(hubDir, 'secret-key.json'), JSON.stringify({ key: hub.secretKey }));
    await profile('b-known', [{ kind: 'external_id', value: 'user-known' }, { kind: 'device_id', value: 'dev-known' }], true);
  });
  afterAll(async () => {
    await hub?.stop();
    if (hubDir) rmSync(hubDir, { recursive: true, force: true });
  });

  it('shows each identifier’s recent decisions newest first, in the API and the admin CLI', async () => {
    const added = await importChange({ user_ids: ['user-known', 'user-ghost'], device_ids: ['dev-known'] });
    const readded = await importChange({ user_ids: ['user-known'] });
    const removed = await importChange({ user_ids: ['user-known'], should_remove: true });
    await eventually(async () => ((await decisions('external_id=user-known')).length === 3 ? true : undefined), 20000, 'the flips in the history');

    expect(await decisions('external_id=user-known')).toEqual([
      [removed, 'removed', null, 'b-known'],
      [readded, 'unchanged', 'already_member', 'b-known'],
      [added, 'added', null, 'b-known'],
    ]);
    expect(await decisions('external_id=user-ghost')).toEqual([[added, 'unmatched', 'unknown_identifier', null]]);
    expect(await decisions('device_id=dev-known')).toEqual([[added, 'unmatched', 'device_of_identified_profile', 'b-known']]);
    expect((await decisions('braze_id=b-known')).map(([importId, decision]) => [importId, decision])).toEqual([
      [removed, 'removed'],
      [readded, 'unchanged'],
      [added, 'added'],
    ]);

    const printed = await admin(['trace', '--workspace', NAME, '--cohort', COHORT, '--external-id', 'user-known']);
    expect(printed.code).toBe(0);
    expect(printed.output).toContain('resolution: resolved → braze_id b-known');
    expect(printed.output).toContain('recent decisions (3, newest first)');
    expect(printed.output).toMatch(new RegExp(`removed\\s+remove\\s+import ${removed} \\(heap\\)`));
    expect(printed.output).toMatch(new RegExp(`unchanged\\s+add\\s+import ${readded} \\(heap\\)\\s+reason already_member`));
    const json = await admin(['trace', '--workspace', NAME, '--cohort', COHORT, '--device-id', 'dev-known', '--json']);
    expect(JSON.parse(json.output).recent_decisions).toEqual((await read(`/v1/trace?cohort_id=${COHORT}&device_id=dev-known`)).body.recent_decisions);
    expect((await admin(['trace', '--workspace', NAME, '--cohort', COHORT])).code).not.toBe(0);
  });

  it('logs nothing while the workspace has the log switched off', async () => {
    expect((await admin(['workspace', 'set', '--name', NAME, '--decision-log', 'off'])).code).toBe(0);
    await importChange({ user_ids: ['user-quiet'] });
    expect(await decisions('external_id=user-quiet')).toEqual([]);
    expect((await admin(['workspace', 'set', '--name', NAME, '--decision-log', 'on', '--decision-log-days', '7'])).code).toBe(0);
    const logged = await importChange({ user_ids: ['user-quiet'] });
    expect(await decisions('external_id=user-quiet')).toEqual([[logged, 'unmatched', 'unknown_identifier', null]]);
    const [item] = (await hub.doc.send(new ScanCommand({ TableName: hub.tables.history, FilterExpression: 'importId = :i', ExpressionAttributeValues: { ':i': logged } }))).Items ?? [];
    const receivedSeconds = Date.parse(String(item?.at)) / 1000;
    expect(item?.expiresAt).toBe(Math.floor(receivedSeconds) + 7 * 86_400);
  });

  it('forgets a deleted user’s history and decisions: Currents users.UserDeleteRequest and admin users delete', async () => {
    await profile('b-gone', [{ kind: 'external_id', value: 'user-gone' }, { kind: 'device_id', value: 'dev-gone' }], true);
    await profile('b-cli', [{ kind: 'external_id', value: 'user-cli' }, { kind: 'device_id', value: 'dev-cli' }], true);
    await importChange({ user_ids: ['user-gone', 'user-cli'], device_ids: ['dev-gone', 'dev-cli'] });
    expect(await decisions('device_id=dev-gone')).toHaveLength(1);
    // The device id's unmatched decision, and the flip that tells user-cli's `added`.
    await eventually(async () => ((await storedAbout('b-cli', ['user-cli', 'dev-cli'])).length >= 2 ? true : undefined), 20000, 'the decision and the flip');

    const deletion = { id: `evt-delete-${Date.now()}`, event_type: 'users.UserDeleteRequest', time: Math.floor(Date.now() / 1000), user: { user_id: 'b-gone' }, properties: { app_group_id: 'ag' } };
    expect((await hub.request('POST', '/currents', { body: { events: [deletion] }, headers: { Authorization: `Bearer ${creds.currentsToken}` } })).status).toBe(200);
    // The tombstone comes first, the history and decisions are forgotten last: wait for the whole deletion.
    await eventually(async () => ((await read(`/v1/trace?cohort_id=${COHORT}&braze_id=b-gone`)).body?.resolution?.status === 'deleted' ? true : undefined), 20000, 'the deletion');
    await eventually(async () => ((await storedAbout('b-gone', ['user-gone', 'dev-gone'])).length === 0 ? true : undefined), 20000, 'the forgotten decisions');
    expect(await decisions('device_id=dev-gone')).toEqual([]);

    const deleted = await admin(['users', 'delete', '--workspace', NAME, '--external-id', 'user-cli']);
    expect(deleted.code).toBe(0);
    expect(deleted.output).toContain('Deleted braze_id b-cli');
    expect(await storedAbout('b-cli', ['user-cli', 'dev-cli'])).toEqual([]);
    expect((await read(`/v1/trace?cohort_id=${COHORT}&braze_id=b-cli`)).body.resolution.status).toBe('deleted');
    expect((await admin(['users', 'delete', '--workspace', NAME, '--external-id', 'user-cli'])).code).not.toBe(0);
  });
});
