/**
 * Import ids: `imp_<time-ordered id><signature>`. The signature is an HMAC over the workspace, the
 * cohort and the id, so the read API can tell an id the hub really issued (and not yet processed:
 * answer "queued") from a made-up one (404) without writing anything on the ingest path.
 *
 * The HMAC key is the workspace's random signing key (domain/signing-keys.ts): stable across
 * credential rotations, shown by no API, derived from nothing public. Ids issued before the
 * workspace had that key carry the old derivation's signature (workspace id and creation time) and
 * still verify — only when their embedded time is earlier than the key. It guards integrity of
 * ids, not secrets: the read API that checks it is itself authenticated per workspace.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual, timeOrderedId } from '../shared/crypto';

/** The signing secret of a workspace's import ids, and the old derivation's for ids issued before it. */
export interface ImportIdScope {
  readonly secret: string;
  readonly legacy?: { readonly secret: string; readonly issuedBefore: number };
}

/** The import-id scope of a workspace's signing key (ports `SigningKeys`). */
export const importIdScope = (key: { importIdSecret: string; legacyImportIds?: { secret: string; issuedBefore: number } }): ImportIdScope => ({
  secret: key.importIdSecret,
  ...(key.legacyImportIds ? { legacy: key.legacyImportIds } : {}),
});

const PREFIX = 'imp_';
const TIME_ID_LENGTH = 25;
const SIGNATURE_LENGTH = 16;

const signature = (secret: string, cohortId: string, timeId: string): string =>
  createHmac('sha256', secret).update(`${cohortId}\n${timeId}`).digest('hex').slice(0, SIGNATURE_LENGTH);

/** A new import id for a request received at `receivedAt` (epoch ms). */
export const issueImportId = (scope: ImportIdScope, cohortId: string, receivedAt: number): string => {
  const timeId = timeOrderedId(receivedAt);
  return `${PREFIX}${timeId}${signature(scope.secret, cohortId, timeId)}`;
};

/** True when the hub issued this id for this workspace and cohort. */
export const verifyImportId = (scope: ImportIdScope, cohortId: string, importId: string): boolean => {
  if (!importId.startsWith(PREFIX) || importId.length !== PREFIX.length + TIME_ID_LENGTH + SIGNATURE_LENGTH) return false;
  const timeId = importId.slice(PREFIX.length, PREFIX.length + TIME_ID_LENGTH);
  const given = importId.slice(PREFIX.length + TIME_ID_LENGTH);
  if (constantTimeEqual(given, signature(scope.secret, cohortId, timeId))) return true;
  const legacy = scope.legacy;
  return legacy !== undefined && importIdTime(importId) < legacy.issuedBefore && constantTimeEqual(given, signature(legacy.secret, cohortId, timeId));
};

/** When an issued import id was created (epoch ms), from its time-ordered part. */
export const importIdTime = (importId: string): number => parseInt(importId.slice(PREFIX.length, PREFIX.length + 9), 36);
