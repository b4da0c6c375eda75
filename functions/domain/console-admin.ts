/**
 * The web console's changing actions (consoleAdmin function, `consoleAdminKey`): rotating one of
 * the workspace's compared-only credentials. Encrypted kinds (the Heap webhook secret, which Heap
 * issues) are set with the admin CLI, so this function never needs the encryption key.
 */
import { rotateCredentialBodySchema } from '../schemas/console';
import { CREDENTIAL_KINDS, type CredentialKind, type WorkspaceRecord } from '../schemas/workspace';
import { isHashedCredential } from '../shared/definitions/credentials';
import { parseJson } from '../shared/json';
import { invalid, ok, type Outcome } from './outcomes';
import type { Clock, SecretBox, WorkspaceStore } from './ports';
import { rotateCredential } from './workspaces';

/** Hashed kinds never reach the secret box: a call would be a programming error. */
const NO_SECRETS: SecretBox = {
  encrypt: () => Promise.reject(new Error('The console rotates hashed credentials only')),
  decrypt: () => Promise.reject(new Error('The console rotates hashed credentials only')),
};

export interface ConsoleRotation {
  readonly workspaceId: string;
  readonly credential: CredentialKind;
  readonly value: string;
  /** The grace period applied (seconds): the old value keeps working until `oldValueWorksUntil`. */
  readonly graceSeconds: number;
  readonly oldValueWorksUntil?: string;
}

const ROTATABLE = CREDENTIAL_KINDS.filter(isHashedCredential);

/** The rotation a request asks for: a rotatable kind and `{}` or `{"graceSeconds": n}`. */
const parseRotation = (kind: string, rawBody: string): Outcome<{ kind: CredentialKind; graceSeconds: number }> => {
  const known = ROTATABLE.find((each) => each === kind);
  if (!known) return invalid(`Not a credential the console rotates: ${JSON.stringify(kind)}`, [`kind must be one of ${ROTATABLE.join(', ')}`]);
  const json = rawBody.trim() === '' ? { ok: true as const, value: {} } : parseJson(rawBody);
  if (!json.ok) return invalid('Body is not JSON');
  const body = rotateCredentialBodySchema.safeParse(json.value);
  if (!body.success) return invalid('Bad body', [`graceSeconds must be an integer between 0 and 604800`]);
  return ok({ kind: known, graceSeconds: body.data.graceSeconds ?? 0 });
};

/** Rotates `kind` of the signed-in workspace; the new value is returned once. */
export const rotateFromConsole = async (deps: { store: WorkspaceStore; clock: Clock }, workspace: WorkspaceRecord, kind: string, rawBody: string): Promise<Outcome<ConsoleRotation>> => {
  const request = parseRotation(kind, rawBody);
  if (!request.ok) return request;
  const rotated = await rotateCredential({ ...deps, secrets: NO_SECRETS }, workspace.name, request.value.kind, { graceSeconds: request.value.graceSeconds });
  return ok({ ...rotated, graceSeconds: request.value.graceSeconds });
};
