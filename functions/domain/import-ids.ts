/**
 * Import ids: `imp_<time-ordered id><signature>`. The signature is an HMAC over the workspace, the
 * cohort and the id, so the read API can tell an id the hub really issued (and not yet processed:
 * answer "queued") from a made-up one (404) without writing anything on the ingest path.
 *
 * The HMAC key is derived from the workspace id and its creation time: stable across credential
 * rotations, and not shown by any API. It guards integrity of ids, not secrets — the read API that
 * checks it is itself authenticated per workspace.
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual, timeOrderedId } from '../shared/crypto';

export interface ImportIdScope {
  readonly workspaceId: string;
  readonly createdAt: string;
}

const PREFIX = 'imp_';
const TIME_ID_LENGTH = 25;
const SIGNATURE_LENGTH = 16;

const signature = (scope: ImportIdScope, cohortId: string, timeId: string): string =>
  createHmac('sha256', `import-id\n${scope.workspaceId}\n${scope.createdAt}`)
    .update(`${cohortId}\n${timeId}`)
    .digest('hex')
    .slice(0, SIGNATURE_LENGTH);

/** A new import id for a request received at `receivedAt` (epoch ms). */
export const issueImportId = (scope: ImportIdScope, cohortId: string, receivedAt: number): string => {
  const timeId = timeOrderedId(receivedAt);
  return `${PREFIX}${timeId}${signature(scope, cohortId, timeId)}`;
};

/** True when the hub issued this id for this workspace and cohort. */
export const verifyImportId = (scope: ImportIdScope, cohortId: string, importId: string): boolean => {
  if (!importId.startsWith(PREFIX) || importId.length !== PREFIX.length + TIME_ID_LENGTH + SIGNATURE_LENGTH) return false;
  const timeId = importId.slice(PREFIX.length, PREFIX.length + TIME_ID_LENGTH);
  return constantTimeEqual(importId.slice(PREFIX.length + TIME_ID_LENGTH), signature(scope, cohortId, timeId));
};

/** When an issued import id was created (epoch ms), from its time-ordered part. */
export const importIdTime = (importId: string): number => parseInt(importId.slice(PREFIX.length, PREFIX.length + 9), 36);
