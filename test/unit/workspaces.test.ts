import { authenticate, bearerToken, createWorkspace, decryptCredential, heapWebhookSecret, rotateCredential, setHeapWebhookSecret, WorkspaceExistsError } from '../../functions/domain/workspaces';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { randomBytes } from 'node:crypto';
import type { WorkspaceStore } from '../../functions/domain/ports';
import { workspaceRecordSchema } from '../../functions/schemas/workspace';
import { CREDENTIAL_KINDS, CREDENTIALS, isHashedCredential, type CredentialKind, type SuppliableCredentialKind } from '../../functions/shared/definitions/credentials';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';
import { workspaceRecord } from './fakes/workspace-record';

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

/** Whether `value` works as the workspace's credential of `kind`: it authenticates (hashed kinds) or is what decrypts (encrypted kinds). */
const usable = async (store: WorkspaceStore, kind: CredentialKind, value: string): Promise<boolean> => {
  if (isHashedCredential(kind)) return (await authenticate(store, kind, value))?.name === 'acme';
  return (await decryptCredential(fakeSecretBox, (await store.getByName('acme'))!, kind)) === value;
};

describe('every credential kind of the registry (definitions/credentials.ts)', () => {
  it.each(CREDENTIAL_KINDS)('%s: created usable and never stored in plaintext; rotation replaces it', async (kind) => {
    const store = memoryWorkspaceStore();
    const created = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const stored = JSON.stringify([...store.records.values()]);
    const createdUsable = await usable(store, kind, created[kind]);
    const rotated = await rotateCredential({ store, secrets: fakeSecretBox }, 'acme', kind);

    expect(createdUsable).toBe(true);
    expect(stored).not.toContain(created[kind]);
    expect(rotated.value).toMatch(new RegExp(`^${CREDENTIALS[kind].prefix}_[A-Za-z0-9_-]{43}$`));
    expect(await usable(store, kind, created[kind])).toBe(false);
    expect(await usable(store, kind, rotated.value)).toBe(true);
  });

  const suppliable = CREDENTIAL_KINDS.filter((kind): kind is SuppliableCredentialKind => 'suppliable' in CREDENTIALS[kind]);
  it.each(suppliable)('%s: a value the partner issued can be supplied at creation', async (kind) => {
    const store = memoryWorkspaceStore();

    const created = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme', [kind]: 'issued-by-the-partner' });

    expect(created[kind]).toBe('issued-by-the-partner');
    expect(await usable(store, kind, 'issued-by-the-partner')).toBe(true);
  });
});

describe('workspace records written before credentialCiphertexts', () => {
  const { credentialCiphertexts: _current, ...legacy } = workspaceRecord();

  it('read their heapWebhookSecretCiphertext as the heapWebhookSecret ciphertext', () => {
    const record = workspaceRecordSchema.parse({ ...legacy, heapWebhookSecretCiphertext: 'cipher-old' });

    expect(record.credentialCiphertexts).toEqual({ heapWebhookSecret: 'cipher-old' });
    expect(record).not.toHaveProperty('heapWebhookSecretCiphertext');
  });

  it('prefer a ciphertext written since (after a rotation) over the old field', () => {
    const record = workspaceRecordSchema.parse({ ...legacy, heapWebhookSecretCiphertext: 'cipher-old', credentialCiphertexts: { heapWebhookSecret: 'cipher-new' } });

    expect(record.credentialCiphertexts).toEqual({ heapWebhookSecret: 'cipher-new' });
  });

  it('still verify, rotate and take the secret Heap generated', async () => {
    const store = memoryWorkspaceStore();
    await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });
    const created = (await store.getByName('acme'))!;
    const { credentialCiphertexts, ...rest } = created;
    const old = workspaceRecordSchema.parse({ ...rest, heapWebhookSecretCiphertext: credentialCiphertexts.heapWebhookSecret });
    store.records.set(old.workspaceId, old);

    const before = await heapWebhookSecret(fakeSecretBox, old);
    const rotated = await rotateCredential({ store, secrets: fakeSecretBox }, 'acme', 'heapWebhookSecret');
    const afterRotation = await heapWebhookSecret(fakeSecretBox, (await store.getByName('acme'))!);
    await setHeapWebhookSecret({ store, secrets: fakeSecretBox }, 'acme', 'secret-from-heap');

    expect(before).toMatch(/^hub_heap_/);
    expect(afterRotation).toBe(rotated.value);
    expect(await heapWebhookSecret(fakeSecretBox, (await store.getByName('acme'))!)).toBe('secret-from-heap');
  });
});
