/**
 * The Athena DDL in docs/athena.sql, checked against a sample export: data is written through the
 * hub's own routes (Currents, alias API, cohort import, Heap webhook), exported in DynamoDB's S3
 * export layout, and every attribute of every exported item must be declared with its DynamoDB type.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { exportTable } from '../../functions/adapters/table-export';
import { signHeapBody } from '../../functions/domain/heap-signature';
import { eventually, startTestHub, type TestHub } from './harness';

/** Table name → column → the DynamoDB type tags its struct declares (S, N, M, L, BOOL, NS, SS). */
const parseDdl = (sql: string): Record<string, Record<string, string[]>> => {
  const tables: Record<string, Record<string, string[]>> = {};
  for (const match of sql.matchAll(/CREATE EXTERNAL TABLE IF NOT EXISTS hub_(\w+) \(\s*Item struct<([\s\S]*?)\n {2}>\n\)/g)) {
    const columns: Record<string, string[]> = {};
    for (const line of match[2]!.split('\n')) {
      const column = /^\s*(\w+): struct<(.*)>,?$/.exec(line);
      if (column) columns[column[1]!] = [...column[2]!.matchAll(/(?:^|, )([A-Z]+): /g)].map((tag) => tag[1]!);
    }
    tables[match[1]!] = columns;
  }
  return tables;
};

/** Index keys exist for DynamoDB queries, not for analysis: they need no column. */
const INDEX_KEYS = new Set(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);

describe('Athena DDL against a sample export', () => {
  let hub: TestHub;
  const ddl = parseDdl(readFileSync(join(__dirname, '../../docs/athena.sql'), 'utf8'));

  beforeAll(async () => {
    hub = await startTestHub({ visibilitySeconds: 10, streamPollers: true });
    const ws = await hub.createWorkspace();
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
    const t = 1_763_900_000;
    await hub.request('POST', '/currents', {
      headers: bearer(ws.currentsToken),
      body: {
        events: [
          { id: 'e1', event_type: 'users.behaviors.CustomEvent', time: t, user: { user_id: 'a00000000000000000000001', device_id: 'D1', external_user_id: 'x1' }, properties: { name: 'n', custom_properties: { a: 1 } } },
          { id: 'e2', event_type: 'users.behaviors.Purchase', time: t + 1, user: { user_id: 'a00000000000000000000002', device_id: 'D2' }, properties: { product_id: 'p', price: 1, currency: 'EUR', purchase_properties: {} } },
          { id: 'e3', event_type: 'users.behaviors.app.SessionStart', time: t + 2, user: { user_id: 'a00000000000000000000003', device_id: 'D3' }, properties: {} },
          { id: 'e4', event_type: 'users.behaviors.app.SessionStart', time: t + 3, user: { user_id: 'a00000000000000000000004', device_id: 'D4' }, properties: {} },
          { id: 'bad-event' },
        ],
      },
    });
    await eventually(async () => ((await hub.request('GET', '/v1/users?device_id=D4', { headers: bearer(ws.apiKey) })).status === 200 ? true : undefined), 30_000, 'the directory');
    await hub.request('POST', '/currents', {
      headers: bearer(ws.currentsToken),
      body: {
        events: [
          { id: 'e5', event_type: 'users.UserOrphan', time: t + 10, user: { user_id: 'a00000000000000000000003' }, properties: { orphaned_by_id: 'a00000000000000000000001' } },
          { id: 'e6', event_type: 'users.UserDeleteRequest', time: t + 11, user: { user_id: 'a00000000000000000000004' }, properties: {} },
        ],
      },
    });
    await hub.request('POST', '/users/alias/new', { headers: bearer(ws.apiKey), body: { user_aliases: [{ external_id: 'x1', alias_label: 'email', alias_name: 'a@b.c' }] } });
    const brazeBody = { partner_api_key: 'k', client_secret: ws.dataImportKey, cohort_id: 'c1' };
    await hub.request('POST', '/partners/segment/cohorts', { body: { ...brazeBody, name: 'C one', created_at: '2024-01-01T00:00:00Z' } });
    const delta = await hub.request('POST', '/partners/segment/cohorts/users', {
      body: { ...brazeBody, cohort_changes: [{ user_ids: ['x1', 'unknown'], device_ids: ['D2'] }, { user_ids: ['x1'], should_remove: true }] },
    });
    const page = JSON.stringify({
      action_type: 'segment.users.sync',
      id_token: 'token',
      data: { segment: { id: 5, name: 'Segment' }, sync_info: { page_number: 1, total_pages: 1, sync_task_id: 'task' }, add: [{ id: 'v1' }, { id: 'v2' }], remove: [{ id: 'v3' }] },
    });
    await hub.request('POST', `/heap/segments/${ws.workspaceId}`, { raw: page, headers: { 'Heap-Hash': signHeapBody(ws.heapWebhookSecret, page, Date.now()) } });
    await eventually(async () => {
      const report = await hub.request('GET', `/v1/cohorts/c1/imports/${delta.body.import_id}`, { headers: bearer(ws.apiKey) });
      const segments = await hub.request('GET', '/abtasty/segments', { headers: bearer(ws.abTastyToken) });
      const merged = await hub.request('GET', '/v1/users?braze_id=a00000000000000000000003', { headers: bearer(ws.apiKey) });
      return report.body?.status === 'applied' && segments.body?.segments?.length === 1 && merged.status !== 404 ? true : undefined;
    }, 30_000, 'imports, segments and the merge');
    // The membership history follows the cohorts table's stream: wait for the device-matched member's flip.
    await eventually(async () => {
      const flips = await hub.request('GET', '/v1/cohorts/c1/members/a00000000000000000000002/history', { headers: bearer(ws.apiKey) });
      return flips.body?.flips?.length === 1 ? true : undefined;
    }, 30_000, 'the membership history');
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
  afterAll(() => hub.stop());

  it('declares every column the membership_changes view reads', () => {
    const view = /CREATE OR REPLACE VIEW membership_changes AS([\s\S]*?);/.exec(readFileSync(join(__dirname, '../../docs/athena.sql'), 'utf8'))?.[1] ?? '';
    const read = [...view.matchAll(/Item\.(\w+)\.([A-Z]+)/g)].map((match) => [match[1]!, match[2]!] as const);
    expect(read.length).toBeGreaterThan(8);
    for (const [attribute, tag] of read) expect({ attribute, declared: ddl.history?.[attribute]?.includes(tag) }).toEqual({ attribute, declared: true });
    expect([...view.matchAll(/ AS (\w+)/g)].map((match) => match[1])).toEqual(
      expect.arrayContaining(['workspace_id', 'set_kind', 'set_id', 'member_id', 'direction', 'version', 'changed_at', 'source_kind', 'import_id', 'partner', 'sync_task_id', 'page']),
    );
  });

  it.each(['users', 'aliases', 'cohorts', 'events', 'history'] as const)('declares every attribute of the %s export with its DynamoDB type', async (table) => {
    // Arrange
    const out = mkdtempSync(join(tmpdir(), 'ddl-'));
    const columns = ddl[table];
    expect(columns).toBeDefined();

    // Act
    const result = await exportTable(hub.dynamo, hub.tables[table], out, 'dynamodb');
    const items = result.files.flatMap((file) =>
      gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { Item: Record<string, Record<string, unknown>> }).Item),
    );

    // Assert
    expect(items.length).toBeGreaterThan(0);
    const undeclared = new Set<string>();
    for (const item of items) {
      for (const [attribute, typed] of Object.entries(item)) {
        if (INDEX_KEYS.has(attribute)) continue;
        const tag = Object.keys(typed)[0]!;
        if (!columns![attribute]?.includes(tag)) undeclared.add(`${attribute}:${tag}`);
      }
    }
    expect([...undeclared].sort()).toEqual([]);
  });
  it('declares every field of the archived Currents lines in currents_events, and the archive keys match its location template', () => {
    const sql = readFileSync(join(__dirname, '../../docs/athena.sql'), 'utf8');
    const table = /CREATE EXTERNAL TABLE IF NOT EXISTS currents_events \(([\s\S]*?)\n\)\nPARTITIONED BY \(dt string, `type` string\)/.exec(sql)?.[1] ?? '';
    const columns = new Map([...table.matchAll(/^\s*`?(\w+)`? (string|bigint),?$/gm)].map((match) => [match[1]!, match[2]!]));
    expect(sql).toContain("'storage.location.template' = 's3://<archive-bucket>/currents/dt=${dt}/type=${type}/'");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else if (entry.name.endsWith('.json.gz')) files.push(join(dir, entry.name));
      }
    };
    walk(hub.archiveDir);

    expect(files.length).toBeGreaterThan(0);
    const undeclared = new Set<string>();
    for (const file of files) {
      expect(relative(hub.archiveDir, file)).toMatch(/^currents\/dt=\d{4}-\d{2}-\d{2}\/type=[A-Za-z0-9._-]+\/[0-9a-f]{32}\.json\.gz$/);
      for (const line of gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n')) {
        for (const [field, value] of Object.entries(JSON.parse(line) as Record<string, unknown>)) {
          const type = typeof value === 'number' ? 'bigint' : typeof value === 'string' ? 'string' : typeof value;
          if (columns.get(field) !== type) undeclared.add(`${field}:${type}`);
        }
      }
    }
    expect([...undeclared].sort()).toEqual([]);
  });
});
