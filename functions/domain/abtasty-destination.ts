/**
 * A workspace's AB Tasty destination as an admin sets it (`npm run admin -- workspace set
 * --abtasty-…`): merged with what is stored, validated whole (nothing is written when anything is
 * wrong), the client secret encrypted with the workspace's own encryption context, and shown back
 * without the secret. The delivery worker decrypts the secret through `abTastyClientSecret`.
 */
import { SEGMENT_ID_PATTERN } from '../schemas/heap';
import type { AbTastyDestinationRecord, WorkspaceRecord } from '../schemas/workspace';
import { destinationProblems, type AbTastyDestination } from './abtasty-delivery';
import { isUdcValue, normaliseUdcValue } from './abtasty-udc-file';
import type { SecretBox, WorkspaceStore } from './ports';

/** The change an admin asks for; absent fields keep their stored value. */
export interface AbTastyUpdate {
  readonly account?: string;
  readonly partner?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly segments?: 'all' | readonly string[];
  /** A fixed UDC value for every row; `null` removes it. */
  readonly value?: string | null;
  readonly enabled?: boolean;
}

/** The destination as shown to an admin: everything but the secret. */
export interface AbTastyDestinationView {
  readonly account: string;
  readonly partner: string;
  readonly clientId: string;
  readonly clientSecret: 'set';
  readonly segments: 'all' | readonly string[];
  readonly value?: string;
  readonly enabled: boolean;
}

export type AbTastyConfigured = { readonly ok: true; readonly destination: AbTastyDestinationView } | { readonly ok: false; readonly problems: readonly string[] };

/** Binds the ciphertext to its workspace and purpose: it cannot be replayed into another workspace or field. */
const clientSecretContext = (workspaceId: string): Record<string, string> => ({ workspaceId, purpose: 'abTastyClientSecret' });

/** Public API client ids: printable, no spaces, bounded. */
const CLIENT_ID = /^[\x21-\x7e]{1,256}$/;
const MAX_SECRET_LENGTH = 1024;

export const describeAbTasty = (record: AbTastyDestinationRecord): AbTastyDestinationView => ({
  account: record.account,
  partner: record.partner,
  clientId: record.clientId,
  clientSecret: 'set',
  segments: record.segments,
  ...(record.value === undefined ? {} : { value: record.value }),
  enabled: record.enabled,
});

/** The part of a stored destination the push plans with. */
export const pushDestination = (record: AbTastyDestinationRecord): AbTastyDestination => ({
  account: record.account,
  partner: record.partner,
  segments: record.segments,
  ...(record.value === undefined ? {} : { value: record.value }),
});

/** The plaintext Public API client secret, for the token grant (never logged, never stored in plaintext). */
export const abTastyClientSecret = (secrets: SecretBox, workspaceId: string, record: AbTastyDestinationRecord): Promise<string> =>
  secrets.decrypt(record.clientSecretCiphertext, clientSecretContext(workspaceId));

const REQUIRED_FOR_NEW = ['account', 'partner', 'clientId', 'clientSecret'] as const;

/** What is wrong with the merged destination, in words an admin can act on. */
const updateProblems = (merged: Omit<AbTastyDestinationRecord, 'clientSecretCiphertext'>, update: AbTastyUpdate, isNew: boolean): string[] => {
  const missing = isNew ? REQUIRED_FOR_NEW.filter((field) => update[field] === undefined) : [];
  if (missing.length > 0) return [`a new AB Tasty destination needs ${missing.map((field) => `--abtasty-${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`];
  const suggestion = merged.value === undefined || isUdcValue(merged.value) ? undefined : normaliseUdcValue(merged.value);
  return [
    ...destinationProblems(merged).filter((problem) => suggestion === undefined || !problem.startsWith('value')),
    ...(suggestion === undefined ? [] : [`value has characters AB Tasty refuses; "${suggestion}" is the nearest value it accepts`]),
    ...(CLIENT_ID.test(merged.clientId) ? [] : ['client id must be 1-256 printable characters without spaces']),
    ...(update.clientSecret === undefined || (update.clientSecret.length > 0 && update.clientSecret.length <= MAX_SECRET_LENGTH) ? [] : [`client secret must be 1-${MAX_SECRET_LENGTH} characters`]),
    ...(merged.segments === 'all' ? [] : merged.segments.filter((id) => !SEGMENT_ID_PATTERN.test(id)).map((id) => `segment id ${JSON.stringify(id)} is not a Heap segment id`)),
  ];
};

/** Another workspace pushing to the same account and partner would overwrite this one's segments at AB Tasty. */
const sharedPartner = (others: readonly WorkspaceRecord[], account: string, partner: string): string | undefined =>
  others.find((other) => other.abTasty?.account === account && other.abTasty.partner === partner)?.name;

/** Applies an admin's change to a workspace's AB Tasty destination: all of it, or (with the problems) nothing. */
export const configureAbTasty = async (deps: { store: WorkspaceStore; secrets: SecretBox }, workspace: WorkspaceRecord, update: AbTastyUpdate): Promise<AbTastyConfigured> => {
  const current = workspace.abTasty;
  const value = update.value === null ? undefined : (update.value ?? current?.value);
  const merged = {
    account: update.account ?? current?.account ?? '',
    partner: update.partner ?? current?.partner ?? '',
    clientId: update.clientId ?? current?.clientId ?? '',
    segments: update.segments === undefined ? (current?.segments ?? 'all') : update.segments === 'all' ? 'all' : [...new Set(update.segments)],
    ...(value === undefined ? {} : { value }),
    enabled: update.enabled ?? current?.enabled ?? true,
  } as const;
  const problems = updateProblems(merged, update, current === undefined);
  const others = (await deps.store.list()).filter((other) => other.workspaceId !== workspace.workspaceId);
  const sharing = problems.length === 0 ? sharedPartner(others, merged.account, merged.partner) : undefined;
  if (sharing !== undefined) problems.push(`workspace "${sharing}" already pushes to account ${merged.account}, partner ${merged.partner}: one workspace per partner`);
  if (problems.length > 0) return { ok: false, problems };
  const clientSecretCiphertext =
    update.clientSecret !== undefined ? await deps.secrets.encrypt(update.clientSecret, clientSecretContext(workspace.workspaceId)) : (current?.clientSecretCiphertext ?? '');
  const record: AbTastyDestinationRecord = { ...merged, segments: merged.segments === 'all' ? 'all' : [...merged.segments], clientSecretCiphertext };
  await deps.store.update(workspace.workspaceId, { abTasty: record });
  return { ok: true, destination: describeAbTasty(record) };
};
