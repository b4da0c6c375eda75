/** In-memory workspace stores and secret box. */
import type { SecretBox, SigningKeys, WorkspaceStore } from '../../../functions/domain/ports';
import { ownValue } from '../../../functions/shared/own';
import type { WorkspaceRecord } from '../../../functions/schemas/workspace';

/** In-memory WorkspaceStore with the same semantics as the DynamoDB one (unique names, hash index). */
export const memoryWorkspaceStore = (): WorkspaceStore & { records: Map<string, WorkspaceRecord> } => {
  const records = new Map<string, WorkspaceRecord>();
  const byHash = () => {
    const index = new Map<string, string>();
    for (const record of records.values()) {
      for (const [kind, hash] of Object.entries(record.credentialHashes)) index.set(`${kind}#${hash}`, record.workspaceId);
      // Like the DynamoDB store: the index entry of a value in its rotation grace stays until a later rotation drops it.
      for (const [kind, grace] of Object.entries(record.credentialGrace ?? {})) index.set(`${kind}#${grace.hash}`, record.workspaceId);
    }
    return index;
  };
  return {
    records,
    create: (record) => {
      if ([...records.values()].some((r) => r.name === record.name)) return Promise.resolve(false);
      records.set(record.workspaceId, structuredClone(record));
      return Promise.resolve(true);
    },
    get: (id) => Promise.resolve(records.get(id)),
    getByName: (name) => Promise.resolve([...records.values()].find((r) => r.name === name)),
    findByCredentialHash: (kind, hash) => {
      const id = byHash().get(`${kind}#${hash}`);
      return Promise.resolve(id ? records.get(id) : undefined);
    },
    list: () => Promise.resolve([...records.values()]),
    rotateCredentialHash: (rotation) => {
      const record = records.get(rotation.workspaceId);
      if (!record || record.credentialHashes[rotation.kind] !== rotation.oldHash) return Promise.reject(new Error('condition failed'));
      record.credentialHashes[rotation.kind] = rotation.newHash;
      const grace = { ...record.credentialGrace };
      if (rotation.oldHash !== undefined && rotation.graceUntil !== undefined) grace[rotation.kind] = { hash: rotation.oldHash, expiresAt: rotation.graceUntil };
      else delete grace[rotation.kind];
      record.credentialGrace = grace;
      for (const partner of rotation.repinPartners) record.partnerKeyHashes[partner] = rotation.newHash;
      return Promise.resolve();
    },
    update: (id, changes) => {
      const record = records.get(id);
      if (!record) return Promise.reject(new Error('no such workspace'));
      Object.assign(record, changes);
      return Promise.resolve();
    },
    pinPartnerKey: (id, partner, hash) => {
      const record = records.get(id)!;
      // Like DynamoDB + the SDK's map conversion: own keys only, and `__proto__` never reads back.
      if (!Object.hasOwn(record.partnerKeyHashes, partner)) record.partnerKeyHashes[partner] = hash;
      return Promise.resolve(ownValue(record.partnerKeyHashes, partner));
    },
    recordHeapIdToken: (id, token) => {
      const record = records.get(id)!;
      if (!record.heapIdTokensSeen.includes(token)) record.heapIdTokensSeen.push(token);
      return Promise.resolve();
    },
    setSigningKey: (id, key) => {
      const record = records.get(id);
      if (!record || record.signingKey) return Promise.resolve(false);
      record.signingKey = key;
      return Promise.resolve(true);
    },
  };
};

/** Reversible fake: not encryption, but keeps the context binding so misuse shows up in tests. */
export const fakeSecretBox: SecretBox = {
  encrypt: (plaintext, context) => Promise.resolve(`fake:${JSON.stringify(context)}:${Buffer.from(plaintext).toString('base64')}`),
  decrypt: (ciphertext, context) => {
    const prefix = `fake:${JSON.stringify(context)}:`;
    if (!ciphertext.startsWith(prefix)) return Promise.reject(new Error('wrong context'));
    return Promise.resolve(Buffer.from(ciphertext.slice(prefix.length), 'base64').toString());
  },
};

/** A store that holds one record: every lookup answers it (if the hash matches); pins are recorded. */
export const fakeWorkspaceStore = (record: WorkspaceRecord) => {
  const pins: string[] = [];
  const store: WorkspaceStore & { pins: string[] } = {
    pins,
    create: () => Promise.resolve(true),
    get: () => Promise.resolve(record),
    getByName: () => Promise.resolve(record),
    findByCredentialHash: (kind, hash) => Promise.resolve(record.credentialHashes[kind] === hash ? structuredClone(record) : undefined),
    list: () => Promise.resolve([record]),
    rotateCredentialHash: () => Promise.resolve(),
    update: () => Promise.resolve(),
    pinPartnerKey: (_ws, partner, hash) => {
      pins.push(partner);
      // Like DynamoDB + the SDK's map conversion: own keys only, and `__proto__` never reads back.
      if (!Object.hasOwn(record.partnerKeyHashes, partner)) record.partnerKeyHashes[partner] = hash;
      return Promise.resolve(ownValue(record.partnerKeyHashes, partner));
    },
    recordHeapIdToken: () => Promise.resolve(),
    setSigningKey: () => Promise.resolve(false),
  };
  return store;
};

/** Signing keys without a secret box: a fixed secret per workspace id (not secret, but distinct per workspace). */
export const fakeSigningKeys: SigningKeys = {
  forWorkspace: (workspace) => Promise.resolve({ cursorSecret: `cursor:${workspace.workspaceId}`, importIdSecret: `import-id:${workspace.workspaceId}` }),
};
