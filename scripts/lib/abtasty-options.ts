/**
 * The AB Tasty flags of `workspace set`, read into the change the domain validates
 * (`configureAbTasty`), and secret flags that take a value, `-` (read stdin) or `@<file>`, so a
 * secret need not appear in the shell history or the process list.
 */
import { readFileSync } from 'node:fs';
import type { AbTastyUpdate } from '../../functions/domain/abtasty-destination';

export interface AbTastyFlags {
  readonly 'abtasty-account'?: string;
  readonly 'abtasty-partner'?: string;
  readonly 'abtasty-client-id'?: string;
  readonly 'abtasty-client-secret'?: string;
  readonly 'abtasty-segments'?: string;
  readonly 'abtasty-value'?: string;
  readonly 'abtasty-disable'?: boolean;
  readonly 'abtasty-enable'?: boolean;
}

/** Reads all of stdin (for `-`). */
export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * A secret flag's value: `-` reads stdin, `@path` reads the file, anything else is the secret
 * itself. One trailing line break (from `echo` or an editor) is dropped.
 */
export const readSecretOption = async (raw: string, stdin: () => Promise<string> = readStdin, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): Promise<string> => {
  const text = raw === '-' ? await stdin() : raw.startsWith('@') ? readFile(raw.slice(1)) : raw;
  return text.replace(/\r?\n$/, '');
};

/** `all`, or a comma-separated list of Heap segment ids. */
const segmentsOf = (raw: string): 'all' | string[] => (raw.trim() === 'all' ? 'all' : raw.split(',').map((id) => id.trim()).filter(Boolean));

/** The change the flags ask for, or undefined when no AB Tasty flag was given; throws for contradictory flags. */
export const abTastyUpdateFrom = async (flags: AbTastyFlags, secret: (raw: string) => Promise<string> = (raw) => readSecretOption(raw)): Promise<AbTastyUpdate | undefined> => {
  if (flags['abtasty-disable'] && flags['abtasty-enable']) throw new Error('--abtasty-enable and --abtasty-disable contradict each other');
  const update: { -readonly [K in keyof AbTastyUpdate]: AbTastyUpdate[K] } = {};
  if (flags['abtasty-account'] !== undefined) update.account = flags['abtasty-account'];
  if (flags['abtasty-partner'] !== undefined) update.partner = flags['abtasty-partner'];
  if (flags['abtasty-client-id'] !== undefined) update.clientId = flags['abtasty-client-id'];
  if (flags['abtasty-client-secret'] !== undefined) update.clientSecret = await secret(flags['abtasty-client-secret']);
  if (flags['abtasty-segments'] !== undefined) update.segments = segmentsOf(flags['abtasty-segments']);
  // An empty value removes it.
  if (flags['abtasty-value'] !== undefined) update.value = flags['abtasty-value'] === '' ? null : flags['abtasty-value'];
  if (flags['abtasty-disable']) update.enabled = false;
  if (flags['abtasty-enable']) update.enabled = true;
  return Object.keys(update).length > 0 ? update : undefined;
};
