import { dynamoWorkspaceStore, forgetCredentialPointers } from '../../functions/adapters/workspace-store';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { authorizeImport } from '../../functions/domain/cohort-import-auth';
import { authenticate, heapWebhookSecret, rotateCredential, WorkspaceExistsError } from '../../functions/domain/workspaces';
import { startTestHub, type TestHub } from './harness';

describe('workspaces on DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());
  const store = () => dynamoWorkspaceStore(hub.doc, hub.tables.workspaces);

  it('authenticates each credential to its own workspace and stores none of them in plaintext', async () => {
    const credentials = await hub.createWorkspace({ name: 'acme' });

    const byImportKey = await authenticate(store(), 'dataImportKey', credentials.dataImportKey);
    const wrongKind = await authenticate(store(), 'apiKey', credentials.dataImportKey);

    expect(byImportKey?.workspaceId).toBe(credentials.workspaceId);
    expect(wrongKind).toBeUndefined();
    const stored = JSON.stringify(await store().get(credentials.workspaceId));
    for (const value of [credentials.dataImportKey, credentials.apiKey, credentials.currentsToken, credentials.heapWebhookSecret]) {
      expect(stored).not.toContain(value);
    }
  });

  it('refuses a second workspace with the same name', async () => {
    await hub.createWorkspace({ name: 'twice' });

    await expect(hub.createWorkspace({ name: 'twice' })).rejects.toBeInstanceOf(WorkspaceExistsError);
  });

  it('rotating a credential makes the old value fail at once and the new one work', async () => {
    const credentials = await hub.createWorkspace({ name: 'rotating' });
    const deps = { store: store(), secrets: localSecretBox(hub.secretKey) };

    const rotated = await rotateCredential(deps, 'rotating', 'apiKey');

    expect(await authenticate(store(), 'apiKey', credentials.apiKey)).toBeUndefined();
    expect((await authenticate(store(), 'apiKey', rotated.value))?.workspaceId).toBe(credentials.workspaceId);
  });

  it('remembers a credential\'s workspace in a warm process (one GetItem), yet refuses it on the very next request after rotation', async () => {
    const credentials = await hub.createWorkspace({ name: 'rotating-warm' });
    const deps = { store: store(), secrets: localSecretBox(hub.secretKey) };
    const reads: string[] = [];
    hub.doc.middlewareStack.add((next, context) => (args) => {
      reads.push(String((context as { commandName?: string }).commandName));
      return next(args);
    }, { step: 'initialize', name: 'countWorkspaceReads' });
    forgetCredentialPointers();

    await authenticate(store(), 'apiKey', credentials.apiKey);
    const cold = reads.splice(0);
    const warm = await authenticate(store(), 'apiKey', credentials.apiKey);
    const warmReads = reads.splice(0);
    const rotated = await rotateCredential(deps, 'rotating-warm', 'apiKey');
    const old = await authenticate(store(), 'apiKey', credentials.apiKey);
    const fresh = await authenticate(store(), 'apiKey', rotated.value);
    hub.doc.middlewareStack.remove('countWorkspaceReads');

    expect(cold).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect(warmReads).toEqual(['GetItemCommand']);
    expect(warm?.workspaceId).toBe(credentials.workspaceId);
    expect(old).toBeUndefined();
    expect(fresh?.workspaceId).toBe(credentials.workspaceId);
  });

  it('refuses partner names that cannot be partner-key map keys under "pin", writes nothing, and rotation keeps working', async () => {
    const pinning = await hub.createWorkspace({ name: 'proto-pin', partnerKeyPolicy: 'pin' });
    const status = (partner: string, key: string) =>
      // Refusals of the import credentials are Braze's 401s.
      authorizeImport(store(), partner, { client_secret: pinning.dataImportKey, partner_api_key: key }).then((outcome) => (outcome.ok ? 201 : 401));

    const answers = [await status('constructor', 'key-1'), await status('constructor', 'key-1'), await status('__proto__', 'key-1'), await status('segment', 'key-1'), await status('segment', 'key-2')];
    const rotated = await rotateCredential({ store: store(), secrets: localSecretBox(hub.secretKey) }, 'proto-pin', 'partnerApiKey');

    expect(answers).toEqual([401, 401, 401, 201, 401]);
    expect(Object.keys((await store().get(pinning.workspaceId))!.partnerKeyHashes).sort()).toEqual(['hub', 'segment']);
    expect(await status('hub', rotated.value)).toBe(201);
  });

  it('refuses to create a workspace whose own partner name cannot hold a key', async () => {
    await expect(hub.createWorkspace({ name: 'proto-own', partnerName: 'constructor' })).rejects.toThrow('cannot hold a partner key');
  });

  it('recovers the Heap webhook secret only through the secret box', async () => {
    const credentials = await hub.createWorkspace({ name: 'heapy' });
    const record = await store().get(credentials.workspaceId);

    expect(await heapWebhookSecret(localSecretBox(hub.secretKey), record!)).toBe(credentials.heapWebhookSecret);
  });
});
