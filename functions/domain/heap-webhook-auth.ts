/**
 * Authenticating a Heap webhook request (the `heapHash` presentation of the `heapWebhookSecret`
 * credential): `Heap-Hash` over the raw body, freshness, a known workspace. Cheap checks first: a
 * missing, malformed or stale header needs no database read and no decryption.
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { checkHeapHashHeader, digestMatches, type FreshnessWindow } from './heap-signature';
import type { Clock, SecretBox, WorkspaceStore } from './ports';
import { heapWebhookSecret } from './workspaces';

/** Why a request was refused; for the hub's own logs only — the caller learns nothing about which check failed. */
export type RefusalReason = 'malformed' | 'stale' | 'future' | 'mismatch' | 'unknown-workspace' | 'id-token';

export interface HeapAuthDeps {
  readonly workspaces: WorkspaceStore;
  /** The workspace's plaintext webhook secret (cached decryption, see `cachedHeapSecrets`). */
  readonly secretOf: (workspace: WorkspaceRecord) => Promise<string>;
  readonly window: FreshnessWindow;
  readonly clock: Clock;
}

export interface HeapAuthInput {
  readonly workspaceId: string | undefined;
  readonly hashHeader: string | undefined;
  readonly rawBody: string;
}

/** A verified request: its workspace and the signed timestamp exactly as sent (a drain's identity). */
export interface Verified {
  readonly workspace: WorkspaceRecord;
  readonly signedTs: string;
}

/**
 * The outcome of authentication. A missing or malformed header is told apart (Heap's reference
 * receiver answers both 400); every other failure is one `forbidden`, with the reason for the log.
 */
export type HeapAuthOutcome =
  | { readonly ok: true; readonly verified: Verified }
  | { readonly ok: false; readonly refusal: 'missing-header' | 'malformed-header' }
  | { readonly ok: false; readonly refusal: 'forbidden'; readonly reason: RefusalReason };

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

const forbidden = (reason: RefusalReason): HeapAuthOutcome => ({ ok: false, refusal: 'forbidden', reason });

export const authenticateHeapWebhook = async (deps: HeapAuthDeps, input: HeapAuthInput): Promise<HeapAuthOutcome> => {
  if (input.hashHeader === undefined || input.hashHeader === '') return { ok: false, refusal: 'missing-header' };
  const header = checkHeapHashHeader(input.hashHeader, deps.clock.now(), deps.window);
  if (!header.ok) return header.reason === 'malformed' ? { ok: false, refusal: 'malformed-header' } : forbidden(header.reason);
  if (!input.workspaceId || !WORKSPACE_ID.test(input.workspaceId)) return forbidden('unknown-workspace');
  const workspace = await deps.workspaces.get(input.workspaceId);
  if (!workspace) return forbidden('unknown-workspace');
  if (!digestMatches(header.hash, await deps.secretOf(workspace), input.rawBody)) return forbidden('mismatch');
  return { ok: true, verified: { workspace, signedTs: header.hash.ts } };
};

/**
 * Decrypts webhook secrets at most once per `ttlMs` per ciphertext in a warm container (KMS calls
 * cost latency and money). Keyed by ciphertext, so a rotated secret is used as soon as the
 * workspace record shows the new ciphertext.
 */
export const cachedHeapSecrets = (secrets: SecretBox, clock: Clock, { ttlMs = 300_000, maxEntries = 256 } = {}) => {
  const cache = new Map<string, { secret: Promise<string>; expires: number }>();
  return (workspace: WorkspaceRecord): Promise<string> => {
    const key = workspace.credentialCiphertexts.heapWebhookSecret ?? '';
    const hit = cache.get(key);
    if (hit && hit.expires > clock.now()) return hit.secret;
    if (cache.size >= maxEntries) cache.clear();
    const secret = heapWebhookSecret(secrets, workspace);
    cache.set(key, { secret, expires: clock.now() + ttlMs });
    // A failed decryption is not cached.
    secret.catch(() => cache.delete(key));
    return secret;
  };
};
