/**
 * The IAM grants of lib/constructs/hub-function.ts are narrowed by what the runtime writes and
 * decrypts: these tests tie the two together, so a changed key layout or encryption context fails
 * here instead of as AccessDenied in AWS.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { credentialKey, heapPageId, heapRejectsPk, rateWindowId, workspaceKey, workspaceNameKey, currentsEventMarkerId, abTastyDeliveryStateId, BRAZE_EXPORT_PK, deliveriesPk, segmentDeliveriesPk, webhookDeliveriesPk } from '../../functions/adapters/dynamo/keys';
import { abTastyClientSecret } from '../../functions/domain/abtasty-destination';
import { brazeKeyContext } from '../../functions/domain/braze-export-settings';
import { changeWebhookSecret } from '../../functions/domain/change-webhook-config';
import type { SecretBox } from '../../functions/domain/ports';
import { heapWebhookSecret } from '../../functions/domain/workspaces';
import { FUNCTIONS, type Access, type ScopedWrite } from '../../functions/shared/definitions/functions';
import { ANALYST_EXPORT_TABLES, type TableKey } from '../../functions/shared/definitions/tables';
import { workspaceRecord } from './fakes/workspace-record';

/** IAM StringLike: `*` any characters, `?` one. */
const stringLike = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(value);

const scoped = (fn: keyof typeof FUNCTIONS, table: TableKey): ScopedWrite => {
  const access = (FUNCTIONS[fn].tables as Partial<Record<TableKey, Access>>)[table];
  if (typeof access !== 'object') throw new Error(`${fn} has no scoped write on ${table}`);
  return access;
};
const allowed = (scope: ScopedWrite, partitionKey: string) => scope.leadingKeys.some((pattern) => stringLike(pattern, partitionKey));

describe('scoped writes of internet-facing functions', () => {
  const ws = 'ws0123456789abcdef';

  it('let cohort ingest update its workspace record and rate windows, nothing else', () => {
    expect(allowed(scoped('cohortIngest', 'workspaces'), workspaceKey(ws).pk)).toBe(true);
    expect(allowed(scoped('cohortIngest', 'idempotency'), rateWindowId(ws, 1_700_000_000))).toBe(true);
    // Credential index and name claims stay out of reach; so do Powertools records and other markers.
    for (const pk of [credentialKey('dataImportKey', 'ab'.repeat(32)).pk, workspaceNameKey('acme').pk, BRAZE_EXPORT_PK]) expect(allowed(scoped('cohortIngest', 'workspaces'), pk)).toBe(false);
    for (const id of ['hub-prod-cohortWorker#3f2a', currentsEventMarkerId(ws, 'e1'), abTastyDeliveryStateId(`${ws}#acc#p`), heapPageId('x')]) {
      expect(allowed(scoped('cohortIngest', 'idempotency'), id)).toBe(false);
    }
    expect(scoped('cohortIngest', 'workspaces').actions).toEqual(['UpdateItem']);
  });

  it('let the Heap webhook update its workspace record, record pages and put its rejects, nothing else', () => {
    expect(allowed(scoped('heapWebhook', 'workspaces'), workspaceKey(ws).pk)).toBe(true);
    expect(allowed(scoped('heapWebhook', 'idempotency'), heapPageId(`${ws}#task#1`))).toBe(true);
    expect(allowed(scoped('heapWebhook', 'events'), heapRejectsPk(ws))).toBe(true);
    expect(allowed(scoped('heapWebhook', 'workspaces'), credentialKey('apiKey', 'cd'.repeat(32)).pk)).toBe(false);
    expect(allowed(scoped('heapWebhook', 'idempotency'), rateWindowId(ws, 1))).toBe(false);
    expect(allowed(scoped('heapWebhook', 'events'), `${ws}#U#0123456789abcdef01234567`)).toBe(false);
  });

  it('let the change webhook worker put its POST reports only (not the AB Tasty reports)', () => {
    expect(allowed(scoped('changeWebhookWorker', 'deliveries'), webhookDeliveriesPk(ws))).toBe(true);
    expect(allowed(scoped('changeWebhookWorker', 'deliveries'), deliveriesPk(ws))).toBe(false);
    expect(allowed(scoped('changeWebhookWorker', 'deliveries'), segmentDeliveriesPk(ws, '4242'))).toBe(false);
    expect(scoped('changeWebhookWorker', 'deliveries')).toMatchObject({ reads: false, actions: ['PutItem'] });
  });
});

describe('decrypt grants', () => {
  /** A secret box that records the context it is asked to decrypt with. */
  const recording = () => {
    const contexts: Record<string, string>[] = [];
    const box: SecretBox = {
      encrypt: () => Promise.resolve(''),
      decrypt: (_ciphertext, context) => {
        contexts.push(context);
        return Promise.resolve('plain');
      },
    };
    return { box, contexts };
  };

  it('name exactly the encryption-context purposes the functions decrypt, always with a workspace id', async () => {
    const { box, contexts } = recording();
    await heapWebhookSecret(box, workspaceRecord());
    await abTastyClientSecret(box, 'ws1', { clientSecretCiphertext: 'c' } as Parameters<typeof abTastyClientSecret>[2]);
    await changeWebhookSecret(box, 'ws1', { url: 'https://x.example', secretCiphertext: 'c', enabled: true });
    const [heap, abTasty, webhook] = contexts;

    expect(FUNCTIONS.heapWebhook.decryptsSecrets).toEqual([heap?.purpose]);
    expect(FUNCTIONS.abTastyWorker.decryptsSecrets).toEqual([abTasty?.purpose]);
    expect(FUNCTIONS.brazeExportRequester.decryptsSecrets).toEqual([brazeKeyContext('ws1').purpose]);
    expect(FUNCTIONS.changeWebhookWorker.decryptsSecrets).toEqual([webhook?.purpose]);
    for (const context of [heap, abTasty, webhook, brazeKeyContext('ws1')]) expect(Object.keys(context ?? {}).sort()).toEqual(['purpose', 'workspaceId']);
  });
});

describe('analyst exports', () => {
  it('never include the workspaces table or the idempotency records', () => {
    const tables: readonly string[] = ANALYST_EXPORT_TABLES;
    expect(tables).not.toContain('workspaces');
    expect(tables).not.toContain('idempotency');
  });

  it('refuse `npm run export -- --tables workspaces` before touching any table', () => {
    const root = join(__dirname, '..', '..');
    const run = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'export.ts'), '--out', '/nonexistent', '--tables', 'users,workspaces'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('workspaces is not an analyst table');
  });
});
