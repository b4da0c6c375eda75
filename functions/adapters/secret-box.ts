/**
 * `SecretBox` implementations. In AWS the Heap webhook secret is encrypted with a KMS key
 * (encryption context = workspace id, so a ciphertext cannot be moved to another workspace); in the
 * local stack with AES-256-GCM under a key kept in `.hub/`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox } from '../domain/ports';
import { settings } from '../shared/config';
import { withoutSdkLogger } from './aws-clients';

const contextBytes = (context: Record<string, string>): Buffer =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))), 'utf8');

/** AES-256-GCM with the context as additional authenticated data. */
export const localSecretBox = (keyBase64: string): SecretBox => {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('HUB_LOCAL_SECRET_KEY must be 32 bytes, base64');
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(contextBytes(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Promise.resolve(['local', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':'));
    },
    decrypt(ciphertext, context) {
      // A wrong key, context or tampered ciphertext fails authentication: reject, never throw synchronously.
      return Promise.resolve().then(() => {
        const [scheme, iv, tag, body] = ciphertext.split(':');
        if (scheme !== 'local' || !iv || !tag || body === undefined) throw new Error('not a local ciphertext');
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAAD(contextBytes(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      });
    },
  };
};

/** KMS Encrypt/Decrypt; the function role needs kms:Encrypt (admin) or kms:Decrypt (webhook). */
export const kmsSecretBox = (keyId: string, kms = withoutSdkLogger(new KMSClient({}))): SecretBox => ({
  async encrypt(plaintext, context) {
    const result = await kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: context }),
    );
    return `kms:${Buffer.from(result.CiphertextBlob ?? new Uint8Array()).toString('base64')}`;
  },
  async decrypt(ciphertext, context) {
    if (!ciphertext.startsWith('kms:')) throw new Error('not a KMS ciphertext');
    const result = await kms.send(
      new DecryptCommand({ KeyId: keyId, CiphertextBlob: Buffer.from(ciphertext.slice(4), 'base64'), EncryptionContext: context }),
    );
    return Buffer.from(result.Plaintext ?? new Uint8Array()).toString('utf8');
  },
});

let box: SecretBox | undefined;

/** The secret box this environment is configured for: KMS when a key id is set, else the local key. */
export const configuredSecretBox = (): SecretBox => {
  if (box) return box;
  const { SECRET_KMS_KEY_ID, HUB_LOCAL_SECRET_KEY } = settings();
  if (SECRET_KMS_KEY_ID) box = kmsSecretBox(SECRET_KMS_KEY_ID);
  else if (HUB_LOCAL_SECRET_KEY) box = localSecretBox(HUB_LOCAL_SECRET_KEY);
  else throw new Error('Neither SECRET_KMS_KEY_ID nor HUB_LOCAL_SECRET_KEY is set');
  return box;
};
