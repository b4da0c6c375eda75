import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { credentialKey, workspaceKey } from '../../functions/adapters/dynamo/keys';
import { dynamoWorkspaceStore, forgetCredentialPointers } from '../../functions/adapters/workspace-store';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { authorizeImport } from '../../functions/domain/cohort-import-auth';
import { signHeapBody } from '../../functions/domain/heap-signature';
import { authenticate, heapWebhookSecret, rotateCredential, setHeapWebhookSecret, WorkspaceExistsError } from '../../functions/domain/workspaces';
import { systemClock } from '../../functions/domain/ports';
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

    const byImportKey = await authenticate(store(), 'dataImportKey', credentials.dataImportKey, systemClock);
    const wrongKind = await authenticate(store(), 'apiKey', credentials.dataImportKey, systemClock);

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
    const deps = { store: store(), secrets: localSecretBox(hub.secretKey), clock: systemClock };

    const rotated = await rotateCredential(deps, 'rotating', 'apiKey', { graceSeconds: 0 });

    expect(await authenticate(store(), 'apiKey', credentials.apiKey, systemClock)).toBeUndefined();
    expect((await authenticate(store(), 'apiKey', rotated.value, systemClock))?.workspaceId).toBe(credentials.workspaceId);
  });

  it('a workspace created before segmentToken existed refuses every token until rotation issues one, then only that one works', async () => {
    const credentials = await hub.createWorkspace({ name: 'older' });
    const record = await store().get(credentials.workspaceId);
    // The record and index as they were before the kind was in the registry.
    await hub.doc.send(new UpdateCommand({ TableName: hub.tables.workspaces, Key: workspaceKey(credentials.workspaceId), UpdateExpression: 'REMOVE credentialHashes.segmentToken' }));
    await hub.doc.send(new DeleteCommand({ TableName: hub.tables.workspaces, Key: credentialKey('segmentToken', record!.credentialHashes.segmentToken!) }));
    const deps = { store: store(), secrets: localSecretBox(hub.secretKey), clock: systemClock };

    const before = await authenticate(store(), 'segmentToken', credentials.segmentToken, systemClock);
    const issued = await rotateCredential(deps, 'older', 'segmentToken', { graceSeconds: 0 });
    const rotated = await rotateCredential(deps, 'older', 'segmentToken', { graceSeconds: 0 });

    expect(before).toBeUndefined();
    expect(await authenticate(store(), 'segmentToken', issued.value, systemClock)).toBeUndefined();
    expect((await authenticate(store(), 'segmentToken', rotated.value, systemClock))?.workspaceId).toBe(credentials.workspaceId);
  });

  it('remembers a credential\'s workspace in a warm process (one GetItem), yet refuses it on the very next request after rotation', async () => {
    const credentials = await hub.createWorkspace({ name: 'rotating-warm' });
    const deps = { store: store(), secrets: localSecretBox(hub.secretKey), clock: systemClock };
    const reads: string[] = [];
    hub.doc.middlewareStack.add((next, context) => (args) => {
      reads.push(String((context as { commandName?: string }).commandName));
      return next(args);
    }, { step: 'initialize', name: 'countWorkspaceReads' });
    forgetCredentialPointers();

    await authenticate(store(), 'apiKey', credentials.apiKey, systemClock);
    const cold = reads.splice(0);
    const warm = await authenticate(store(), 'apiKey', credentials.apiKey, systemClock);
    const warmReads = reads.splice(0);
    const rotated = await rotateCredential(deps, 'rotating-warm', 'apiKey', { graceSeconds: 0 });
    const old = await authenticate(store(), 'apiKey', credentials.apiKey, systemClock);
    const fresh = await authenticate(store(), 'apiKey', rotated.value, systemClock);
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
      authorizeImport(store(), partner, { client_secret: pinning.dataImportKey, partner_api_key: key }, systemClock).then((outcome) => (outcome.ok ? 201 : 401));

    const answers = [await status('constructor', 'key-1'), await status('constructor', 'key-1'), await status('__proto__', 'key-1'), await status('segment', 'key-1'), await status('segment', 'key-2')];
    const rotated = await rotateCredential({ store: store(), secrets: localSecretBox(hub.secretKey), clock: systemClock }, 'proto-pin', 'partnerApiKey', { graceSeconds: 0 });

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

  it('reads a record stored before credentialCiphertexts: its Heap secret verifies webhooks and is replaced', async () => {
    const credentials = await hub.createWorkspace({ name: 'legacy-heap' });
    const ciphertext = (await store().get(credentials.workspaceId))!.credentialCiphertexts.heapWebhookSecret;
    // The item as the hub wrote it before: the ciphertext in its own field, no map.
    await hub.doc.send(
      new UpdateCommand({
        TableName: hub.tables.workspaces,
        Key: workspaceKey(credentials.workspaceId),
        UpdateExpression: 'SET heapWebhookSecretCiphertext = :c REMOVE credentialCiphertexts',
        ExpressionAttributeValues: { ':c': ciphertext },
      }),
    );
    const body = readFileSync(join(__dirname, '..', 'fixtures', 'heap', 'sync-page-1.json'), 'utf8');
    const post = (secret: string) =>
      hub.request('POST', `/heap/segments/${credentials.workspaceId}`, { raw: body, headers: { 'Heap-Hash': signHeapBody(secret, body, Date.now()) } });

    const legacyStatus = (await post(credentials.heapWebhookSecret)).status;
    await setHeapWebhookSecret({ store: store(), secrets: localSecretBox(hub.secretKey) }, 'legacy-heap', 'secret-heap-generated');

    expect(legacyStatus).toBe(200);
    expect((await post('secret-heap-generated')).status).toBe(200);
    expect((await post(credentials.heapWebhookSecret)).status).toBe(403);
  });
});
