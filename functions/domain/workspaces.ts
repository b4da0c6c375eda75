/**
 * Workspaces: creation, credential rotation and authentication. Plaintext credentials exist only in
 * the value returned to the admin who asked for them; the store holds hashes, and the Heap webhook
 * secret (needed in plaintext to verify HMACs) only encrypted.
 */
import { randomBytes } from 'node:crypto';
import { constantTimeEqual, generateSecret, hashSecret } from '../shared/crypto';
import { ownValue } from '../shared/own';
import {
  CREDENTIAL_PREFIXES,
  canHoldPartnerKey,
  HASHED_CREDENTIALS,
  type CredentialKind,
  type HashedCredentialKind,
  type PartnerKeyPolicy,
  type WorkspaceCredentials,
  type WorkspaceRecord,
} from '../schemas/workspace';
import type { Clock, SecretBox, WorkspaceStore } from './ports';

export class WorkspaceExistsError extends Error {
  constructor(name: string) {
    super(`A workspace named "${name}" already exists`);
    this.name = 'WorkspaceExistsError';
  }
}

export class WorkspaceNotFoundError extends Error {
  constructor(name: string) {
    super(`No workspace named "${name}"`);
    this.name = 'WorkspaceNotFoundError';
  }
}

/** Encryption context binds a ciphertext to its workspace: it cannot be replayed into another. */
const secretContext = (workspaceId: string): Record<string, string> => ({ workspaceId, purpose: 'heapWebhookSecret' });

export interface CreateWorkspaceInput {
  name: string;
  partnerName?: string;
  partnerKeyPolicy?: PartnerKeyPolicy;
  /** Use this Heap webhook secret instead of generating one (Heap generates the real one). */
  heapWebhookSecret?: string;
}

/** Creates a workspace with fresh random credentials and returns them (the only time they are shown). */
export const createWorkspace = async (
  deps: { store: WorkspaceStore; secrets: SecretBox; clock: Clock },
  input: CreateWorkspaceInput,
): Promise<WorkspaceCredentials> => {
  const workspaceId = `ws${randomBytes(8).toString('hex')}`;
  const partnerName = input.partnerName ?? 'hub';
  if (!canHoldPartnerKey(partnerName)) throw new Error(`Partner name "${partnerName}" cannot hold a partner key: choose another`);
  const credentials: WorkspaceCredentials = {
    workspaceId,
    partnerName,
    partnerApiKey: generateSecret(CREDENTIAL_PREFIXES.partnerApiKey),
    dataImportKey: generateSecret(CREDENTIAL_PREFIXES.dataImportKey),
    currentsToken: generateSecret(CREDENTIAL_PREFIXES.currentsToken),
    heapWebhookSecret: input.heapWebhookSecret ?? generateSecret(CREDENTIAL_PREFIXES.heapWebhookSecret),
    abTastyToken: generateSecret(CREDENTIAL_PREFIXES.abTastyToken),
    apiKey: generateSecret(CREDENTIAL_PREFIXES.apiKey),
  };
  const credentialHashes = Object.fromEntries(
    HASHED_CREDENTIALS.map((kind) => [kind, hashSecret(credentials[kind])]),
  ) as Record<HashedCredentialKind, string>;
  const record: WorkspaceRecord = {
    workspaceId,
    name: input.name,
    partnerName,
    createdAt: new Date(deps.clock.now()).toISOString(),
    credentialHashes,
    heapWebhookSecretCiphertext: await deps.secrets.encrypt(credentials.heapWebhookSecret, secretContext(workspaceId)),
    partnerKeyPolicy: input.partnerKeyPolicy ?? 'any',
    // The generated partner key is the configured one for the workspace's own partner name, so a
    // sender that uses it works under every policy.
    partnerKeyHashes: { [partnerName]: credentialHashes.partnerApiKey },
    heapIdTokensSeen: [],
  };
  if (!(await deps.store.create(record))) throw new WorkspaceExistsError(input.name);
  return credentials;
};

const requireWorkspace = async (store: WorkspaceStore, name: string): Promise<WorkspaceRecord> => {
  const workspace = await store.getByName(name);
  if (!workspace) throw new WorkspaceNotFoundError(name);
  return workspace;
};

/** Replaces one credential with a new random value; the old one stops working at once. */
export const rotateCredential = async (
  deps: { store: WorkspaceStore; secrets: SecretBox },
  name: string,
  kind: CredentialKind,
): Promise<{ workspaceId: string; credential: CredentialKind; value: string }> => {
  const workspace = await requireWorkspace(deps.store, name);
  const value = generateSecret(CREDENTIAL_PREFIXES[kind]);
  if (kind === 'heapWebhookSecret') {
    await setHeapWebhookSecret(deps, name, value);
  } else {
    const oldHash = workspace.credentialHashes[kind] ?? '';
    const newHash = hashSecret(value);
    await deps.store.replaceCredentialHash(workspace.workspaceId, kind, oldHash, newHash);
    if (kind === 'partnerApiKey') {
      // The generated partner key is also the pinned/configured key of the partners that use it
      // (see createWorkspace): move them to the new key, or the old one would keep working.
      const partnerKeyHashes = Object.fromEntries(
        Object.entries(workspace.partnerKeyHashes).map(([partner, hash]) => [partner, hash === oldHash ? newHash : hash]),
      );
      await deps.store.update(workspace.workspaceId, { partnerKeyHashes });
    }
  }
  return { workspaceId: workspace.workspaceId, credential: kind, value };
};

/** Stores the webhook secret that Heap generated for the customer's integration. */
export const setHeapWebhookSecret = async (
  deps: { store: WorkspaceStore; secrets: SecretBox },
  name: string,
  secret: string,
): Promise<void> => {
  const workspace = await requireWorkspace(deps.store, name);
  const ciphertext = await deps.secrets.encrypt(secret, secretContext(workspace.workspaceId));
  await deps.store.update(workspace.workspaceId, { heapWebhookSecretCiphertext: ciphertext });
};

/** The plaintext Heap webhook secret of a workspace, for HMAC verification. */
export const heapWebhookSecret = (secrets: SecretBox, workspace: WorkspaceRecord): Promise<string> =>
  secrets.decrypt(workspace.heapWebhookSecretCiphertext, secretContext(workspace.workspaceId));

/**
 * The workspace a presented credential belongs to, or undefined. The lookup is by hash, and the
 * stored hash is compared again in constant time, so timing reveals nothing about stored values.
 */
export const authenticate = async (
  store: WorkspaceStore,
  kind: HashedCredentialKind,
  presented: string | undefined,
): Promise<WorkspaceRecord | undefined> => {
  if (!presented || presented.length > 512) return undefined;
  const hash = hashSecret(presented);
  const workspace = await store.findByCredentialHash(kind, hash);
  const stored = workspace?.credentialHashes[kind];
  return stored !== undefined && constantTimeEqual(stored, hash) ? workspace : undefined;
};

/**
 * The partner-key hash a request under policy `pin` or `configured` must match, or undefined (then
 * every key is refused): the configured or pinned one, or under `pin` on first use the presented one
 * (one conditional write; concurrent first uses agree on a single winner). The partner name is
 * client-supplied: it is looked up as an own key, and names that cannot be map keys hold none.
 */
export const expectedPartnerKey = async (store: WorkspaceStore, workspace: WorkspaceRecord, partner: string, hash: string): Promise<string | undefined> => {
  if (!canHoldPartnerKey(partner)) return undefined;
  const expected = ownValue(workspace.partnerKeyHashes, partner);
  if (expected !== undefined || workspace.partnerKeyPolicy !== 'pin') return expected;
  return store.pinPartnerKey(workspace.workspaceId, partner, hash);
};

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
};
