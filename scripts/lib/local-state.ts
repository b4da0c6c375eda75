/** Files the local stack keeps under `.hub/` (gitignored): its key, endpoints and dev credentials. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export const hubDir = (): string => resolve(process.env.HUB_DIR ?? '.hub');

export interface LocalRuntime {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  prefix: string;
  url: string;
  pid: number;
}

const readJson = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);

/** Writes a file readable only by its owner: these files hold credentials and keys. */
export const writePrivate = (file: string, content: unknown): void => {
  mkdirSync(hubDir(), { recursive: true });
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
};

/** The AES key for local secret encryption, created on first use and kept across restarts. */
export const localSecretKey = (): string => {
  const file = join(hubDir(), 'secret-key.json');
  const existing = readJson<{ key: string }>(file);
  if (existing) return existing.key;
  const key = randomBytes(32).toString('base64');
  writePrivate(file, { key });
  return key;
};

export const runtimeFile = (): string => join(hubDir(), 'runtime.json');
export const credentialsFile = (): string => join(hubDir(), 'credentials.json');

export const readRuntime = (): LocalRuntime | undefined => readJson<LocalRuntime>(runtimeFile());
export const readCredentials = <T>(): T | undefined => readJson<T>(credentialsFile());
