/**
 * Authenticating a Braze partner cohort import (the `cohortBody` presentation of the
 * `dataImportKey` credential, with the `partnerApiKey` beside it): the body's `client_secret` picks
 * the workspace, then the workspace's partner rules apply. Refusals carry Braze's own texts.
 */
import { constantTimeEqual, hashSecret } from '../shared/crypto';
import { parseJsonObject, type JsonProblem } from '../shared/json';
import { BRAZE_ERRORS } from '../schemas/cohort-import';
import { partnerNameSchema, type WorkspaceRecord } from '../schemas/workspace';
import type { Clock, WorkspaceStore } from './ports';
import { authenticate, expectedPartnerKey } from './workspaces';

/** Short, non-reversible fingerprint of a partner key, for "which keys have we seen" records. */
export const partnerKeyFingerprint = (keyHash: string): string => keyHash.slice(0, 16);

/** An import's caller, once authenticated: its workspace, its partner key's fingerprint, and the parsed body. */
export interface ImportCaller {
  readonly workspace: WorkspaceRecord;
  readonly fingerprint: string;
  readonly body: Record<string, unknown>;
}

export type ImportAuthOutcome =
  | { readonly ok: true; readonly caller: ImportCaller }
  /** No partner can have this name: the route does not exist for it. */
  | { readonly ok: false; readonly refusal: 'unknown-partner' }
  /** The body is not a JSON object, so it carries no credentials. */
  | { readonly ok: false; readonly refusal: 'invalid-body'; readonly message: string }
  | { readonly ok: false; readonly refusal: 'unauthorized'; readonly message: string };

/** Why a body carries no credentials, in the words of the 400 answer. */
const BODY_PROBLEMS: Record<JsonProblem, string> = {
  'not-json': 'Request body must be valid JSON',
  'not-object': 'Request body must be a JSON object',
};

/**
 * The presented key hash is the expected one, or — when the expected one is the workspace's current
 * generated partner key — that key's previous value still within its rotation grace.
 */
const partnerKeyAccepted = (workspace: WorkspaceRecord, expected: string, hash: string, now: number): boolean => {
  if (constantTimeEqual(expected, hash)) return true;
  const generated = workspace.credentialHashes.partnerApiKey;
  const previous = workspace.credentialGrace?.partnerApiKey;
  if (generated === undefined || previous === undefined || now >= previous.expiresAt) return false;
  return constantTimeEqual(expected, generated) && constantTimeEqual(previous.hash, hash);
};

/**
 * Authenticates `client_secret` (the workspace's data import key), then applies the workspace's
 * partner rules: an allow-list of partners, and the partner-key policy (`any`: accept and record;
 * `pin`: the first key seen is pinned; `configured`: must equal the configured key). Hashes are
 * compared in constant time. A refusal's `message` is Braze's text. During the grace of a
 * partner-key rotation, a partner moved to the new generated key may still send the old one.
 */
export const authorizeImport = async (
  store: WorkspaceStore,
  partner: string,
  body: Record<string, unknown>,
  clock: Clock,
): Promise<{ ok: true; workspace: WorkspaceRecord; fingerprint: string } | { ok: false; message: string }> => {
  const secret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  const workspace = await authenticate(store, 'dataImportKey', secret, clock);
  if (!workspace) return { ok: false, message: BRAZE_ERRORS.invalidClientSecret };
  // An absent or empty list means every partner may import (admin: --allowed-partners '*').
  if (workspace.allowedPartners && workspace.allowedPartners.length > 0 && !workspace.allowedPartners.includes(partner)) {
    return { ok: false, message: BRAZE_ERRORS.partnerNotEnabled };
  }
  const presented = body.partner_api_key;
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return { ok: false, message: BRAZE_ERRORS.invalidPartnerKey };
  const hash = hashSecret(presented);
  if (workspace.partnerKeyPolicy !== 'any') {
    const expected = await expectedPartnerKey(store, workspace, partner, hash);
    if (expected === undefined || !partnerKeyAccepted(workspace, expected, hash, clock.now())) return { ok: false, message: BRAZE_ERRORS.invalidPartnerKey };
  }
  return { ok: true, workspace, fingerprint: partnerKeyFingerprint(hash) };
};

/** The partner name checked, the body parsed, the credentials in it authorized. */
export const authenticateImport = async (store: WorkspaceStore, partner: string, rawBody: string, clock: Clock): Promise<ImportAuthOutcome> => {
  if (!partnerNameSchema.safeParse(partner).success) return { ok: false, refusal: 'unknown-partner' };
  const parsed = parseJsonObject(rawBody);
  if (!parsed.ok) return { ok: false, refusal: 'invalid-body', message: BODY_PROBLEMS[parsed.problem] };
  const authorized = await authorizeImport(store, partner, parsed.value, clock);
  if (!authorized.ok) return { ok: false, refusal: 'unauthorized', message: authorized.message };
  return { ok: true, caller: { workspace: authorized.workspace, fingerprint: authorized.fingerprint, body: parsed.value } };
};
