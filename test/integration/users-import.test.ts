import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryStore } from '../../functions/adapters/directory';
import { runUsersImport } from '../../scripts/lib/users-import';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { startTestHub, type TestHub } from './harness';

const fixtures = join(__dirname, '../fixtures/users-import');

describe('users import (admin bulk load)', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials & { name: string };
  const dir = mkdtempSync(join(tmpdir(), 'users-import-'));
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
    const name = `import-${Date.now()}`;
    ws = { ...(await hub.createWorkspace({ name })), name };
  });
  afterAll(() => hub.stop());

  const run = (file: string) => {
    const copy = join(dir, file);
    copyFileSync(join(fixtures, file), copy);
    return runUsersImport({ file: copy, workspaceName: ws.name, doc: hub.doc, tables: hub.tables, progress: false });
  };
  const claim = async (key: string) => (await directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases }).resolveClaims(ws.workspaceId, [key])).get(key);

  it('loads a CSV: users combined across rows, bad rows in the rejects file with reasons', async () => {
    const summary = await run('users.csv');

    expect(summary).toMatchObject({ rows: 9, rejected: 4, profilesCreated: 4 });
    const rejects = readFileSync(summary.rejectsFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(rejects.map((reject: { line: number }) => reject.line).sort((a: number, b: number) => a - b)).toEqual([6, 8, 9, 10]);
    const ada = await claim('ext#customer-1');
    expect(await claim('alias#email#ada@example.com')).toMatchObject({ profileId: ada?.profileId });
    expect(await claim('alias#crm#CRM-0001')).toMatchObject({ profileId: ada?.profileId });
    expect(await claim('dev#device-1')).toMatchObject({ profileId: ada?.profileId, ownerIdentified: true });
    expect(await claim('alias#email#grace, hopper@example.com')).toMatchObject({ profileId: '5f1e2d3c4b5a69788796a5b4' });
  });

  it('loads JSONL, and a second run of the same file changes nothing', async () => {
    const first = await run('users.jsonl');
    const again = await run('users.jsonl');

    expect(first).toMatchObject({ rows: 7, rejected: 3, profilesCreated: 3 });
    expect(again).toMatchObject({ rows: 7, rejected: 3, profilesCreated: 0, profilesUpdated: 0 });
    expect(await claim('dev#dev-10c')).toMatchObject({ ownerIdentified: true });
    expect(await claim('dev#dev-anon')).toMatchObject({ profileId: 'aaaaaaaaaaaaaaaaaaaaaaaa', ownerIdentified: false });
  });
});
