import { authenticate, bearerToken, createWorkspace, heapWebhookSecret, rotateCredential, setHeapWebhookSecret, WorkspaceExistsError } from '../../functions/domain/workspaces';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { randomBytes } from 'node:crypto';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';

const clock = { now: () => Date.parse('2026-11-24T00:00:00Z') };

describe('workspaces', () => {
  it('creates high-entropy, distinct credentials with readable prefixes', async () => {
    const store = memoryWorkspaceStore();

    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const values = [credentials.partnerApiKey, credentials.dataImportKey, credentials.currentsToken, credentials.heapWebhookSecret, credentials.abTastyToken, credentials.segmentToken, credentials.apiKey];
    expect(new Set(values).size).toBe(7);
    expect(credentials.segmentToken).toMatch(/^hub_seg_[A-Za-z0-9_-]{43}$/);
    expect(credentials.dataImportKey).toMatch(/^hub_dik_[A-Za-z0-9_-]{43}$/);
    expect(credentials.apiKey).toMatch(/^hub_api_[A-Za-z0-9_-]{43}$/);
  });

  it('stores hashes and an encrypted webhook secret, never a plaintext credential', async () => {
    const store = memoryWorkspaceStore();

    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const stored = JSON.stringify([...store.records.values()]);
    for (const value of Object.values(credentials).filter((v) => v.startsWith('hub_'))) expect(stored).not.toContain(value);
  });

  it('refuses a duplicate workspace name', async () => {
    const store = memoryWorkspaceStore();
    await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    await expect(createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' })).rejects.toBeInstanceOf(WorkspaceExistsError);
  });

  it('authenticates a credential only for its own kind, and refuses empty or oversized input', async () => {
    const store = memoryWorkspaceStore();
    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    expect((await authenticate(store, 'currentsToken', credentials.currentsToken))?.name).toBe('acme');
    expect(await authenticate(store, 'abTastyToken', credentials.currentsToken)).toBeUndefined();
    expect(await authenticate(store, 'currentsToken', '')).toBeUndefined();
    expect(await authenticate(store, 'currentsToken', undefined)).toBeUndefined();
    expect(await authenticate(store, 'currentsToken', 'x'.repeat(10_000))).toBeUndefined();
  });

  it('rotation invalidates the old credential and validates the new one', async () => {
    const store = memoryWorkspaceStore();
    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const rotated = await rotateCredential({ store, secrets: fakeSecretBox }, 'acme', 'dataImportKey');

    expect(await authenticate(store, 'dataImportKey', credentials.dataImportKey)).toBeUndefined();
    expect((await authenticate(store, 'dataImportKey', rotated.value))?.name).toBe('acme');
  });

  it('a workspace created before a credential kind existed refuses it until rotation issues it', async () => {
    const store = memoryWorkspaceStore();
    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });
    // As a record written before `segmentToken` was in the registry: no hash of that kind.
    delete store.records.get(credentials.workspaceId)!.credentialHashes.segmentToken;

    const before = await authenticate(store, 'segmentToken', credentials.segmentToken);
    const issued = await rotateCredential({ store, secrets: fakeSecretBox }, 'acme', 'segmentToken');

    expect(before).toBeUndefined();
    expect((await authenticate(store, 'segmentToken', issued.value))?.name).toBe('acme');
    expect(await authenticate(store, 'segmentToken', credentials.segmentToken)).toBeUndefined();
  });

  it('replaces the Heap webhook secret with the one Heap generated', async () => {
    const store = memoryWorkspaceStore();
    await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    await setHeapWebhookSecret({ store, secrets: fakeSecretBox }, 'acme', 'secret-from-heap');

    expect(await heapWebhookSecret(fakeSecretBox, (await store.getByName('acme'))!)).toBe('secret-from-heap');
  });

  it('parses bearer tokens strictly', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('local secret box', () => {
  it('round-trips and refuses a ciphertext moved to another workspace', async () => {
    const box = localSecretBox(randomBytes(32).toString('base64'));

    const ciphertext = await box.encrypt('s3cret', { workspaceId: 'a' });

    expect(await box.decrypt(ciphertext, { workspaceId: 'a' })).toBe('s3cret');
    await expect(box.decrypt(ciphertext, { workspaceId: 'b' })).rejects.toThrow();
    expect(ciphertext).not.toContain('s3cret');
  });
});
