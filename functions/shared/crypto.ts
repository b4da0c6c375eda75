/** Credential helpers: generation, hashing and constant-time comparison. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random credential of 256 bits with a readable prefix (the prefix says what it is, never whose). */
export const generateSecret = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`;

/**
 * SHA-256 of a credential, hex. Credentials are 256-bit random values, so a fast hash is enough:
 * there is nothing to brute-force, and the stored hash is useless without the credential.
 */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Compares two strings in time that depends only on their length, never on where they differ. */
export const constantTimeEqual = (a: string, b: string): boolean => {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  // Comparing digests keeps the comparison fixed-length even when the inputs' lengths differ.
  return timingSafeEqual(left, right) && a.length === b.length;
};

/** Random id for imports and messages: sortable by creation time (`now`, epoch ms, from the caller's clock), unique across processes. */
export const timeOrderedId = (now: number): string =>
  `${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
