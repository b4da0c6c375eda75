import {
  authenticate,
  bearerToken,
  createWorkspace,
  CredentialNotRotatableError,
  decryptCredential,
  heapWebhookSecret,
  MAX_GRACE_SECONDS,
  rotateCredential,
  rotationPlan,
  setHeapWebhookSecret,
  WorkspaceExistsError,
} from '../../functions/domain/workspaces';
import { authorizeImport } from '../../functions/domain/cohort-import-auth';
import { parseGraceOption } from '../../scripts/lib/grace-option';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { randomBytes } from 'node:crypto';
import type { WorkspaceStore } from '../../functions/domain/ports';
import { workspaceRecordSchema } from '../../functions/schemas/workspace';
import { CREDENTIAL_KINDS, CREDENTIALS, ENCRYPTED_CREDENTIAL_KINDS, HASHED_CREDENTIAL_KINDS, isHashedCredential, type CredentialKind, type SuppliableCredentialKind } from '../../functions/shared/definitions/credentials';
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

    expect((await authenticate(store, 'currentsToken', credentials.currentsToken, clock))?.name).toBe('acme');
    expect(await authenticate(store, 'abTastyToken', credentials.currentsToken, clock)).toBeUndefined();
    expect(await authenticate(store, 'currentsToken', '', clock)).toBeUndefined();
    expect(await authenticate(store, 'currentsToken', undefined, clock)).toBeUndefined();
    expect(await authenticate(store, 'currentsToken', 'x'.repeat(10_000), clock)).toBeUndefined();
  });

  it('rotation with grace 0 invalidates the old credential at once and validates the new one', async () => {
    const store = memoryWorkspaceStore();
    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const rotated = await rotateCredential({ store, secrets: fakeSecretBox, clock }, 'acme', 'dataImportKey', { graceSeconds: 0 });

    expect(await authenticate(store, 'dataImportKey', credentials.dataImportKey, clock)).toBeUndefined();
    expect((await authenticate(store, 'dataImportKey', rotated.value, clock))?.name).toBe('acme');
  });

  it('a workspace created before a credential kind existed refuses it until rotation issues it', async () => {
    const store = memoryWorkspaceStore();
    const credentials = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });
    // As a record written before `segmentToken` was in the registry: no hash of that kind.
    delete store.records.get(credentials.workspaceId)!.credentialHashes.segmentToken;

    const before = await authenticate(store, 'segmentToken', credentials.segmentToken, clock);
    const issued = await rotateCredential({ store, secrets: fakeSecretBox, clock }, 'acme', 'segmentToken', { graceSeconds: 0 });

    expect(before).toBeUndefined();
    expect((await authenticate(store, 'segmentToken', issued.value, clock))?.name).toBe('acme');
    expect(await authenticate(store, 'segmentToken', credentials.segmentToken, clock)).toBeUndefined();
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
  if (isHashedCredential(kind)) return (await authenticate(store, kind, value, clock))?.name === 'acme';
  return (await decryptCredential(fakeSecretBox, (await store.getByName('acme'))!, kind)) === value;
};

describe('every credential kind of the registry (definitions/credentials.ts)', () => {
  it.each(CREDENTIAL_KINDS)('%s: created usable and never stored in plaintext', async (kind) => {
    const store = memoryWorkspaceStore();
    const created = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const stored = JSON.stringify([...store.records.values()]);

    expect(await usable(store, kind, created[kind])).toBe(true);
    expect(stored).not.toContain(created[kind]);
  });

  it.each(HASHED_CREDENTIAL_KINDS)('%s: rotation with grace 0 replaces it at once', async (kind) => {
    const store = memoryWorkspaceStore();
    const created = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    const rotated = await rotateCredential({ store, secrets: fakeSecretBox, clock }, 'acme', kind, { graceSeconds: 0 });

    expect(rotated.value).toMatch(new RegExp(`^${CREDENTIALS[kind].prefix}_[A-Za-z0-9_-]{43}$`));
    expect(await usable(store, kind, created[kind])).toBe(false);
    expect(await usable(store, kind, rotated.value)).toBe(true);
  });

  it.each(ENCRYPTED_CREDENTIAL_KINDS)('%s: the partner issues it, so rotation is refused and changes nothing', async (kind) => {
    const store = memoryWorkspaceStore();
    const created = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });

    await expect(rotateCredential({ store, secrets: fakeSecretBox, clock }, 'acme', kind, { graceSeconds: 0 })).rejects.toThrow(CredentialNotRotatableError);
    await expect(rotateCredential({ store, secrets: fakeSecretBox, clock }, 'acme', kind, { graceSeconds: 0 })).rejects.toThrow(/Heap generates it.*workspace set --name <workspace> --heap-webhook-secret/);
    expect(await usable(store, kind, created[kind])).toBe(true);
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

  it('still verify and take the secret Heap generated', async () => {
    const store = memoryWorkspaceStore();
    await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });
    const created = (await store.getByName('acme'))!;
    const { credentialCiphertexts, ...rest } = created;
    const old = workspaceRecordSchema.parse({ ...rest, heapWebhookSecretCiphertext: credentialCiphertexts.heapWebhookSecret });
    store.records.set(old.workspaceId, old);

    const before = await heapWebhookSecret(fakeSecretBox, old);
    await setHeapWebhookSecret({ store, secrets: fakeSecretBox }, 'acme', 'secret-from-heap');

    expect(before).toMatch(/^hub_heap_/);
    expect(await heapWebhookSecret(fakeSecretBox, (await store.getByName('acme'))!)).toBe('secret-from-heap');
  });
});

describe('rotation with a grace period (issue 15)', () => {
  const start = Date.parse('2026-12-04T00:00:00Z');
  const setup = async (input: { partnerKeyPolicy?: 'configured'; partnerName?: string } = {}) => {
    let now = start;
    const movingClock = { now: () => now };
    const store = memoryWorkspaceStore();
    const created = await createWorkspace({ store, secrets: fakeSecretBox, clock: movingClock }, { name: 'acme', ...input });
    const deps = { store, secrets: fakeSecretBox, clock: movingClock };
    const works = async (kind: 'dataImportKey' | 'apiKey', value: string) => (await authenticate(store, kind, value, movingClock))?.name === 'acme';
    return { store, created, deps, works, setNow: (ms: number) => (now = ms) };
  };

  it('keeps the old value working until the grace ends, checked at each read (the last millisecond in, the next out)', async () => {
    const { created, deps, works, setNow } = await setup();

    const rotated = await rotateCredential(deps, 'acme', 'dataImportKey', { graceSeconds: 3600 });
    const during = [await works('dataImportKey', created.dataImportKey), await works('dataImportKey', rotated.value)];
    setNow(start + 3600_000 - 1);
    const lastMoment = await works('dataImportKey', created.dataImportKey);
    setNow(start + 3600_000);

    expect(rotated.oldValueWorksUntil).toBe('2026-12-04T01:00:00.000Z');
    expect(during).toEqual([true, true]);
    expect(lastMoment).toBe(true);
    expect(await works('dataImportKey', created.dataImportKey)).toBe(false);
    expect(await works('dataImportKey', rotated.value)).toBe(true);
  });

  it('a second rotation ends the first grace; grace 0 then leaves only the newest value', async () => {
    const { created, deps, works } = await setup();

    const second = await rotateCredential(deps, 'acme', 'apiKey', { graceSeconds: 86_400 });
    const third = await rotateCredential(deps, 'acme', 'apiKey', { graceSeconds: 86_400 });
    const afterTwo = [await works('apiKey', created.apiKey), await works('apiKey', second.value), await works('apiKey', third.value)];
    const fourth = await rotateCredential(deps, 'acme', 'apiKey', { graceSeconds: 0 });

    expect(afterTwo).toEqual([false, true, true]);
    expect([await works('apiKey', second.value), await works('apiKey', third.value), await works('apiKey', fourth.value)]).toEqual([false, false, true]);
    expect(fourth.oldValueWorksUntil).toBeUndefined();
  });

  it('the previous value of another kind never authenticates this kind', async () => {
    const { store, created, deps, setNow } = await setup();

    await rotateCredential(deps, 'acme', 'dataImportKey', { graceSeconds: 60 });
    setNow(start + 1000);

    expect(await authenticate(store, 'apiKey', created.dataImportKey, { now: () => start + 1000 })).toBeUndefined();
  });

  it('partner-key rotation: a partner configured to the generated key may send the old or the new one during the grace, only the new after it', async () => {
    const { store, created, deps, setNow } = await setup({ partnerKeyPolicy: 'configured', partnerName: 'segment' });
    const status = async (key: string, at: number) =>
      (await authorizeImport(store, 'segment', { client_secret: created.dataImportKey, partner_api_key: key }, { now: () => at })).ok;

    const rotated = await rotateCredential(deps, 'acme', 'partnerApiKey', { graceSeconds: 600 });
    const during = [await status(created.partnerApiKey, start + 1), await status(rotated.value, start + 1)];
    setNow(start + 600_000);

    expect(store.records.get(created.workspaceId)!.partnerKeyHashes.segment).toBe(store.records.get(created.workspaceId)!.credentialHashes.partnerApiKey);
    expect(during).toEqual([true, true]);
    expect([await status(created.partnerApiKey, start + 600_000), await status(rotated.value, start + 600_000)]).toEqual([false, true]);
  });

  it('plans a partner-key rotation as one write: the new hash, the grace, the repinned partners and the dropped previous value together', async () => {
    const { store, created, deps } = await setup({ partnerKeyPolicy: 'configured', partnerName: 'segment' });
    await rotateCredential(deps, 'acme', 'partnerApiKey', { graceSeconds: 600 });
    const record = store.records.get(created.workspaceId)!;
    record.partnerKeyHashes.other = 'unrelated-hash';

    const plan = rotationPlan(record, 'partnerApiKey', 'new-hash', start + 1);

    expect(plan).toEqual({
      workspaceId: created.workspaceId,
      kind: 'partnerApiKey',
      oldHash: record.credentialHashes.partnerApiKey,
      newHash: 'new-hash',
      graceUntil: start + 1,
      dropHashes: [record.credentialGrace!.partnerApiKey!.hash],
      repinPartners: ['segment'],
      graceAsRead: record.credentialGrace,
    });
  });

  it.each([-1, 1.5, Number.NaN, MAX_GRACE_SECONDS + 1])('refuses graceSeconds %p and writes nothing', async (graceSeconds) => {
    const { created, deps, works } = await setup();

    await expect(rotateCredential(deps, 'acme', 'apiKey', { graceSeconds })).rejects.toThrow(RangeError);
    expect(await works('apiKey', created.apiKey)).toBe(true);
  });
});

describe('admin --grace', () => {
  it.each([
    [undefined, 86_400],
    ['0', 0],
    ['90s', 90],
    ['30m', 1800],
    ['24h', 86_400],
    ['7d', 604_800],
  ])('%p → %p seconds', (raw, seconds) => {
    expect(parseGraceOption(raw)).toBe(seconds);
  });

  it.each(['', '24', '1w', '-1h', '1.5h', 'h'])('refuses %p', (raw) => {
    expect(parseGraceOption(raw)).toBeUndefined();
  });
});
