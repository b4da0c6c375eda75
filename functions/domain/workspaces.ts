/**
 * Workspaces: creation, credential rotation and authentication. Plaintext credentials exist only in
 * the value returned to the admin who asked for them; the store holds hashes, and the credentials
 * needed in plaintext (the Heap webhook secret, to verify HMACs) only encrypted. Creation, rotation
 * and decryption go by the kind's registry entry (definitions/credentials.ts), so a new kind needs
 * no code here; `setHeapWebhookSecret` and `heapWebhookSecret` only name the Heap kind for callers.
 */
import { randomBytes } from 'node:crypto';
import { constantTimeEqual, generateSecret, hashSecret } from '../shared/crypto';
import { ownValue } from '../shared/own';
import { canHoldPartnerKey, type PartnerKeyPolicy, type WorkspaceCredentials, type WorkspaceRecord } from '../schemas/workspace';
import {
  CREDENTIAL_KINDS,
  CREDENTIALS,
  credentialDefinition,
  ENCRYPTED_CREDENTIAL_KINDS,
  HASHED_CREDENTIAL_KINDS,
  isHashedCredential,
  type CredentialKind,
  type CredentialValues,
  type EncryptedCredentialKind,
  type HashedCredentialKind,
  type SuppliableCredentialKind,
} from '../shared/definitions/credentials';
import type { Clock, CredentialRotation, SecretBox, WorkspaceStore } from './ports';
import { newSigningKey } from './signing-keys';

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

/** Encryption context binds a ciphertext to its workspace and kind: it cannot be replayed into another. */
const secretContext = (workspaceId: string, kind: EncryptedCredentialKind): Record<string, string> => ({ workspaceId, purpose: kind });

/** The ciphertext of every encrypted kind's value, by kind. */
const encryptCredentials = async (secrets: SecretBox, workspaceId: string, values: CredentialValues): Promise<WorkspaceRecord['credentialCiphertexts']> =>
  Object.fromEntries(await Promise.all(ENCRYPTED_CREDENTIAL_KINDS.map(async (kind) => [kind, await secrets.encrypt(values[kind], secretContext(workspaceId, kind))] as const)));

/** What writing and reading credentials needs: the workspace store, and the secret box for the encrypted kinds. */
export interface CredentialDeps {
  readonly store: WorkspaceStore;
  readonly secrets: SecretBox;
}

export interface CreateWorkspaceInput extends Partial<Record<SuppliableCredentialKind, string>> {
  name: string;
  partnerName?: string;
  partnerKeyPolicy?: PartnerKeyPolicy;
}

/** A fresh value of every credential kind (definitions/credentials.ts), or the one supplied where a kind allows it. */
const generateCredentials = (input: CreateWorkspaceInput): CredentialValues =>
  Object.fromEntries(
    CREDENTIAL_KINDS.map((kind) => {
      const supplied = 'suppliable' in CREDENTIALS[kind] ? input[kind as SuppliableCredentialKind] : undefined;
      return [kind, supplied ?? generateSecret(CREDENTIALS[kind].prefix)];
    }),
  ) as CredentialValues;

/** Creates a workspace with fresh random credentials and returns them (the only time they are shown). */
export const createWorkspace = async (
  deps: CredentialDeps & { clock: Clock },
  input: CreateWorkspaceInput,
): Promise<WorkspaceCredentials> => {
  const workspaceId = `ws${randomBytes(8).toString('hex')}`;
  const partnerName = input.partnerName ?? 'hub';
  if (!canHoldPartnerKey(partnerName)) throw new Error(`Partner name "${partnerName}" cannot hold a partner key: choose another`);
  const credentials: WorkspaceCredentials = { workspaceId, partnerName, ...generateCredentials(input) };
  const credentialHashes = Object.fromEntries(
    HASHED_CREDENTIAL_KINDS.map((kind) => [kind, hashSecret(credentials[kind])]),
  ) as Record<HashedCredentialKind, string>;
  const record: WorkspaceRecord = {
    workspaceId,
    name: input.name,
    partnerName,
    createdAt: new Date(deps.clock.now()).toISOString(),
    credentialHashes,
    credentialCiphertexts: await encryptCredentials(deps.secrets, workspaceId, credentials),
    credentialGrace: {},
    signingKey: await newSigningKey(deps.secrets, workspaceId, deps.clock.now()),
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

/** The longest grace a rotation may give the old value: 30 days. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

export class CredentialNotRotatableError extends Error {
  constructor(kind: CredentialKind) {
    const issuer = credentialDefinition(kind).issuedBy;
    super(
      issuer
        ? `${kind} cannot be rotated by the hub: ${issuer.partner} generates it. Rotate it in ${issuer.partner}, then store the new value with \`${issuer.setWith}\`.`
        : `${kind} cannot be rotated`,
    );
    this.name = 'CredentialNotRotatableError';
  }
}

/** How long the old value keeps working after a rotation: 0 revokes it in the same write (after a leak). */
export interface RotationOptions {
  readonly graceSeconds: number;
}

/**
 * The transaction of one rotation: the previous grace entry (if any) is dropped with its index
 * entry, the old value either gets the grace or goes, and under `replace-and-repin-partner-keys`
 * the partners pinned or configured to the old value move to the new one (the generated partner
 * key is the configured key of the workspace's own partner name, see createWorkspace) — otherwise
 * the rotated-out key would keep working past its grace.
 */
export const rotationPlan = (workspace: WorkspaceRecord, kind: HashedCredentialKind, newHash: string, graceUntil: number | undefined): CredentialRotation => {
  const oldHash = workspace.credentialHashes[kind];
  const previous = workspace.credentialGrace?.[kind];
  const repins = oldHash !== undefined && CREDENTIALS[kind].rotation === 'replace-and-repin-partner-keys';
  return {
    workspaceId: workspace.workspaceId,
    kind,
    oldHash,
    newHash,
    graceUntil: oldHash === undefined ? undefined : graceUntil,
    dropHashes: previous !== undefined && previous.hash !== oldHash ? [previous.hash] : [],
    repinPartners: repins ? Object.entries(workspace.partnerKeyHashes).filter(([, hash]) => hash === oldHash).map(([partner]) => partner) : [],
    graceAsRead: workspace.credentialGrace,
  };
};

const checkGrace = (graceSeconds: number): void => {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
    throw new RangeError(`graceSeconds must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`);
  }
};

/**
 * Replaces one credential with a new random value (or, for a kind the workspace does not have yet,
 * issues it). The old value keeps working for `graceSeconds` (checked on every read, never left to
 * a TTL), so partners can switch without an outage; 0 revokes it in the same write. The caller
 * decides the grace (the admin CLI: 24 h unless told). Only the newest previous value is kept: a
 * second rotation ends the first one's grace. A partner-issued kind (the Heap webhook secret) is refused.
 */
export const rotateCredential = async (
  deps: CredentialDeps & { clock: Clock },
  name: string,
  kind: CredentialKind,
  options: RotationOptions,
): Promise<{ workspaceId: string; credential: CredentialKind; value: string; oldValueWorksUntil?: string }> => {
  if (!isHashedCredential(kind)) throw new CredentialNotRotatableError(kind);
  checkGrace(options.graceSeconds);
  const workspace = await requireWorkspace(deps.store, name);
  const value = generateSecret(CREDENTIALS[kind].prefix);
  const graceUntil = options.graceSeconds > 0 ? deps.clock.now() + options.graceSeconds * 1000 : undefined;
  const plan = rotationPlan(workspace, kind, hashSecret(value), graceUntil);
  await deps.store.rotateCredentialHash(plan);
  return { workspaceId: workspace.workspaceId, credential: kind, value, ...(plan.graceUntil === undefined ? {} : { oldValueWorksUntil: new Date(plan.graceUntil).toISOString() }) };
};

/** Encrypts `value` as the workspace's credential of `kind`; the previous value stops working at once (the partner switched already). */
const storeEncrypted = async (deps: CredentialDeps, workspace: WorkspaceRecord, kind: EncryptedCredentialKind, value: string) => {
  const ciphertext = await deps.secrets.encrypt(value, secretContext(workspace.workspaceId, kind));
  await deps.store.update(workspace.workspaceId, { credentialCiphertexts: { ...workspace.credentialCiphertexts, [kind]: ciphertext } });
};

/** Stores the value a partner issued for an encrypted credential (Heap generates the webhook secret). */
export const setEncryptedCredential = async (deps: CredentialDeps, name: string, kind: EncryptedCredentialKind, value: string): Promise<void> =>
  storeEncrypted(deps, await requireWorkspace(deps.store, name), kind, value);

/** Stores the webhook secret that Heap generated for the customer's integration. */
export const setHeapWebhookSecret = (deps: CredentialDeps, name: string, secret: string): Promise<void> =>
  setEncryptedCredential(deps, name, 'heapWebhookSecret', secret);

/** The plaintext of a workspace's encrypted credential; rejects when the workspace has none of that kind yet. */
export const decryptCredential = async (secrets: SecretBox, workspace: WorkspaceRecord, kind: EncryptedCredentialKind): Promise<string> => {
  const ciphertext = workspace.credentialCiphertexts[kind];
  if (ciphertext === undefined) throw new Error(`Workspace ${workspace.workspaceId} has no ${kind} yet: rotate it to issue one`);
  return secrets.decrypt(ciphertext, secretContext(workspace.workspaceId, kind));
};

/** The plaintext Heap webhook secret of a workspace, for HMAC verification. */
export const heapWebhookSecret = (secrets: SecretBox, workspace: WorkspaceRecord): Promise<string> => decryptCredential(secrets, workspace, 'heapWebhookSecret');

/**
 * True when `hash` is the workspace's current credential of `kind`, or its previous one still within
 * the grace of a rotation at time `now`. Hashes are compared in constant time.
 */
export const holdsCredential = (workspace: WorkspaceRecord, kind: HashedCredentialKind, hash: string, now: number): boolean => {
  const current = workspace.credentialHashes[kind];
  const previous = workspace.credentialGrace?.[kind];
  const isCurrent = current !== undefined && constantTimeEqual(current, hash);
  const inGrace = previous !== undefined && constantTimeEqual(previous.hash, hash) && now < previous.expiresAt;
  return isCurrent || inGrace;
};

/**
 * The workspace a presented credential belongs to, or undefined. The lookup is by hash; the record
 * must then hold it (current, or previous within its grace at the clock's now), compared in
 * constant time, so timing reveals nothing about stored values and an expired grace is refused at once.
 */
export const authenticate = async (
  store: WorkspaceStore,
  kind: HashedCredentialKind,
  presented: string | undefined,
  clock: Clock,
): Promise<WorkspaceRecord | undefined> => {
  if (!presented || presented.length > 512) return undefined;
  const hash = hashSecret(presented);
  const workspace = await store.findByCredentialHash(kind, hash);
  return workspace !== undefined && holdsCredential(workspace, kind, hash, clock.now()) ? workspace : undefined;
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
