/**
 * Per-workspace signing keys for pagination cursors and import ids (issue 15): 256 random bits per
 * workspace, stored encrypted like the Heap webhook secret (encryption context = workspace id and
 * purpose `signingKey`), created with the workspace and issued to older workspaces by
 * `issueMissingSigningKeys` (`npm run admin -- workspace issue-signing-keys`; `npm start` runs it).
 * Nothing about a key can be derived from ids or credential hashes.
 *
 * Until a workspace has its key, the derivations used before are its key (so nothing breaks between
 * a deploy and the migration). Once it has one, cursors signed before stop opening (a client pages
 * again from the start), and import ids issued before the key still verify with the old derivation
 * — only ids whose embedded time is earlier than the key, so queued imports keep answering "queued".
 */
import { randomBytes } from 'node:crypto';
import type { SigningKeyRecord, WorkspaceRecord } from '../schemas/workspace';
import type { Clock, SecretBox, SigningKeys, WorkspaceSigningKey, WorkspaceStore } from './ports';

/** Binds the ciphertext to its workspace and purpose: it cannot be replayed into another workspace or field. */
export const signingKeyContext = (workspaceId: string): Record<string, string> => ({ workspaceId, purpose: 'signingKey' });

/** A fresh random signing key, encrypted for the workspace. */
export const newSigningKey = async (secrets: SecretBox, workspaceId: string, now: number): Promise<SigningKeyRecord> => ({
  ciphertext: await secrets.encrypt(randomBytes(32).toString('base64url'), signingKeyContext(workspaceId)),
  issuedAt: now,
});

/** The import-id key used before per-workspace keys: derived from the workspace id and creation time. */
const legacyImportIdSecret = (workspace: WorkspaceRecord): string => `import-id\n${workspace.workspaceId}\n${workspace.createdAt}`;

/** The cursor key used before per-workspace keys: derived from the workspace id and its apiKey hash. */
const legacyCursorSecret = (workspace: WorkspaceRecord): string => `${workspace.workspaceId}:${workspace.credentialHashes.apiKey ?? ''}`;

const MAX_CACHED_KEYS = 10_000;

/**
 * The `SigningKeys` of a process: decrypts a workspace's key once and remembers it per warm process,
 * keyed by its ciphertext (a replaced key has another ciphertext, so nothing stale is ever served;
 * a failed decryption is not remembered).
 */
export const signingKeys = (secrets: SecretBox): SigningKeys => {
  const cache = new Map<string, Promise<string>>();
  const decrypt = (workspaceId: string, ciphertext: string): Promise<string> => {
    const cacheKey = `${workspaceId}\n${ciphertext}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    const plaintext = secrets.decrypt(ciphertext, signingKeyContext(workspaceId));
    cache.set(cacheKey, plaintext);
    plaintext.catch(() => cache.delete(cacheKey));
    return plaintext;
  };
  return {
    async forWorkspace(workspace): Promise<WorkspaceSigningKey> {
      const stored = workspace.signingKey;
      if (!stored) return { cursorSecret: legacyCursorSecret(workspace), importIdSecret: legacyImportIdSecret(workspace) };
      const key = await decrypt(workspace.workspaceId, stored.ciphertext);
      return {
        cursorSecret: `cursor\n${key}`,
        importIdSecret: `import-id\n${key}`,
        legacyImportIds: { secret: legacyImportIdSecret(workspace), issuedBefore: stored.issuedAt },
      };
    },
  };
};

/**
 * Gives every workspace that has no signing key one (the migration for workspaces created before
 * the keys existed). Safe to re-run and to run concurrently: each key is written only where none is.
 */
export const issueMissingSigningKeys = async (deps: { store: WorkspaceStore; secrets: SecretBox; clock: Clock }): Promise<{ issued: number; had: number }> => {
  let issued = 0;
  let had = 0;
  for (const workspace of await deps.store.list()) {
    if (workspace.signingKey) {
      had += 1;
      continue;
    }
    const key = await newSigningKey(deps.secrets, workspace.workspaceId, deps.clock.now());
    if (await deps.store.setSigningKey(workspace.workspaceId, key)) issued += 1;
    else had += 1;
  }
  return { issued, had };
};
