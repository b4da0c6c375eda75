/** Ports of credential rotation and of the per-workspace signing keys (re-exported by domain/ports.ts). */
import type { HashedCredentialKind, WorkspaceRecord } from '../../schemas/workspace';

/**
 * One credential rotation, written whole or not at all: the new hash becomes current; the old one
 * either keeps working until `graceUntil` (its index entry stays, the record notes it in
 * `credentialGrace`) or stops in the same write; index entries of `dropHashes` (an earlier
 * rotation's previous value) go; partners whose key hash was `oldHash` move to `newHash`.
 */
export interface CredentialRotation {
  readonly workspaceId: string;
  readonly kind: HashedCredentialKind;
  /** The current hash, undefined when the workspace has none of this kind yet (rotation issues it). */
  readonly oldHash: string | undefined;
  readonly newHash: string;
  /** Epoch ms until which `oldHash` still works; undefined: revoked at once. */
  readonly graceUntil: number | undefined;
  readonly dropHashes: readonly string[];
  readonly repinPartners: readonly string[];
  /** The record's grace map as read (undefined: the record has none yet), so the write can extend it. */
  readonly graceAsRead: WorkspaceRecord['credentialGrace'];
}

/** A workspace's signing secrets, decrypted: cursors and import ids each get their own. */
export interface WorkspaceSigningKey {
  readonly cursorSecret: string;
  readonly importIdSecret: string;
  /** Import ids issued before the workspace had its key verify with the old derivation: only those whose time is earlier. */
  readonly legacyImportIds?: { readonly secret: string; readonly issuedBefore: number };
}

/** Resolves a workspace's signing key (domain/signing-keys.ts `signingKeys`: decrypted once per warm process). */
export interface SigningKeys {
  forWorkspace(workspace: WorkspaceRecord): Promise<WorkspaceSigningKey>;
}
