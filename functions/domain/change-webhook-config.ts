/**
 * A workspace's signed change webhook as an admin sets it (`npm run admin -- workspace set
 * --change-webhook-url … --change-webhook-secret …`, docs/events.md): merged with what is stored,
 * validated whole (nothing is written when anything is wrong), the secret encrypted with the
 * workspace's own context (purpose `changeWebhookSecret`), shown back without the secret.
 */
import type { ChangeWebhookRecord, WorkspaceRecord } from '../schemas/workspace';
import type { SecretBox, WorkspaceStore } from './ports';

/** The change an admin asks for; absent fields keep their stored value. */
export interface ChangeWebhookUpdate {
  readonly url?: string;
  readonly secret?: string;
  readonly enabled?: boolean;
}

/** The webhook as shown to an admin: never the secret. */
export interface ChangeWebhookView {
  readonly url: string;
  readonly secret: 'set';
  readonly enabled: boolean;
}

export type ChangeWebhookConfigured = { readonly ok: true; readonly webhook: ChangeWebhookView } | { readonly ok: false; readonly problems: readonly string[] };

/** HMAC keys shorter than this are guessable; longer than the maximum are a paste error. */
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 1024;
const MAX_URL_LENGTH = 2048;
/** Plain http is allowed for the local stack's receivers only. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Binds the ciphertext to its workspace and purpose: it cannot be replayed into another workspace or field. */
const secretContext = (workspaceId: string): Record<string, string> => ({ workspaceId, purpose: 'changeWebhookSecret' });

export const describeChangeWebhook = (record: ChangeWebhookRecord): ChangeWebhookView => ({ url: record.url, secret: 'set', enabled: record.enabled });

/** The plaintext HMAC secret, for signing (never logged, never stored in plaintext). */
export const changeWebhookSecret = (secrets: SecretBox, workspaceId: string, record: ChangeWebhookRecord): Promise<string> =>
  secrets.decrypt(record.secretCiphertext, secretContext(workspaceId));

/** What is wrong with a webhook URL: https, or http on localhost / 127.0.0.1; no credentials or fragment in it. */
export const urlProblems = (raw: string): string[] => {
  if (raw.length > MAX_URL_LENGTH) return [`url must be at most ${MAX_URL_LENGTH} characters`];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [`url ${JSON.stringify(raw)} is not an absolute URL`];
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  return [
    ...(url.protocol === 'https:' || (url.protocol === 'http:' && local) ? [] : ['url must be https (http only for localhost or 127.0.0.1)']),
    ...(url.username || url.password ? ['url must not carry a user name or password (the body is signed instead)'] : []),
    ...(url.hash ? ['url must not have a #fragment'] : []),
  ];
};

/** Everything wrong with the update against what is stored, in words an admin can act on; empty when it can be applied. */
export const changeWebhookProblems = (current: ChangeWebhookRecord | undefined, update: ChangeWebhookUpdate): string[] => {
  const missing = current === undefined ? (['url', 'secret'] as const).filter((field) => update[field] === undefined) : [];
  if (missing.length > 0) return [`a new change webhook needs ${missing.map((field) => `--change-webhook-${field}`).join(' and ')}`];
  const secret = update.secret;
  return [
    ...(update.url === undefined ? [] : urlProblems(update.url)),
    ...(secret === undefined || (secret.length >= MIN_SECRET_LENGTH && secret.length <= MAX_SECRET_LENGTH) ? [] : [`secret must be ${MIN_SECRET_LENGTH}-${MAX_SECRET_LENGTH} characters`]),
  ];
};

/** Applies an admin's change to a workspace's change webhook: all of it, or (with the problems) nothing. */
export const configureChangeWebhook = async (
  deps: { store: WorkspaceStore; secrets: SecretBox },
  workspace: WorkspaceRecord,
  update: ChangeWebhookUpdate,
): Promise<ChangeWebhookConfigured> => {
  const current = workspace.changeWebhook;
  const problems = changeWebhookProblems(current, update);
  if (problems.length > 0) return { ok: false, problems };
  const secretCiphertext = update.secret !== undefined ? await deps.secrets.encrypt(update.secret, secretContext(workspace.workspaceId)) : (current?.secretCiphertext ?? '');
  const record: ChangeWebhookRecord = { url: update.url ?? current?.url ?? '', secretCiphertext, enabled: update.enabled ?? current?.enabled ?? true };
  await deps.store.update(workspace.workspaceId, { changeWebhook: record });
  return { ok: true, webhook: describeChangeWebhook(record) };
};
