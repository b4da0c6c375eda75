/**
 * The signing keys of a handler process (composition): the workspace's random signing key,
 * decrypted with the configured secret box (KMS in AWS) once per warm process, and the cursor codec
 * built on it. Used by the routes that issue or check cursors and import ids.
 */
import { configuredSecretBox } from '../../adapters/secret-box';
import type { CursorCodec, SigningKeys } from '../../domain/ports';
import { signingKeys } from '../../domain/signing-keys';
import { signedCursors } from '../../shared/cursor';

let keys: SigningKeys | undefined;

/** This process's `SigningKeys`, built on first use. */
export const processSigningKeys = (): SigningKeys => (keys ??= signingKeys(configuredSecretBox()));

/** Cursors signed with each workspace's cursor secret. */
export const cursorCodec = (keysOf: () => SigningKeys = processSigningKeys): CursorCodec =>
  signedCursors(async (workspace) => (await keysOf().forWorkspace(workspace)).cursorSecret);
