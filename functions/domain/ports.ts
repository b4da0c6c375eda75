/**
 * Ports: what domain functions need from the outside world. Adapters implement them over DynamoDB,
 * SQS and KMS; unit tests pass in-memory fakes.
 */
import type { HashedCredentialKind, WorkspaceRecord } from '../schemas/workspace';

export interface WorkspaceStore {
  /** Creates the workspace and its credential index entries atomically; false if the name is taken. */
  create(record: WorkspaceRecord): Promise<boolean>;
  get(workspaceId: string): Promise<WorkspaceRecord | undefined>;
  getByName(name: string): Promise<WorkspaceRecord | undefined>;
  /** The workspace whose credential of this kind hashes to `hash`. */
  findByCredentialHash(kind: HashedCredentialKind, hash: string): Promise<WorkspaceRecord | undefined>;
  list(): Promise<WorkspaceRecord[]>;
  /** Swaps one credential hash; the old credential stops working in the same transaction. */
  replaceCredentialHash(workspaceId: string, kind: HashedCredentialKind, oldHash: string, newHash: string): Promise<void>;
  /** Applies a partial update of the record's non-credential settings. */
  update(workspaceId: string, changes: Partial<Omit<WorkspaceRecord, 'workspaceId' | 'credentialHashes'>>): Promise<void>;
  /**
   * Pins a partner key if none is pinned yet; returns the hash that is pinned afterwards, or
   * undefined when it cannot be read back (then nothing is accepted as pinned).
   */
  pinPartnerKey(workspaceId: string, partner: string, hash: string): Promise<string | undefined>;
  /** Adds a Heap id_token to the seen list if absent. */
  recordHeapIdToken(workspaceId: string, idToken: string): Promise<void>;
}

/** Reversible encryption for secrets that must be recovered (the Heap webhook secret for HMAC). */
export interface SecretBox {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

/**
 * The one source of time, injected into workers, domain functions and scripts (never `Date.now()`
 * inside a rule): tests pass a fixed clock, the fault suite a controlled one.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's current time as ISO-8601 UTC (the form of every stored `createdAt` / `updatedAt`). */
export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
