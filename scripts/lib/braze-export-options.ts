/**
 * The Braze export flags of `workspace set` (`--braze-rest-url`, `--braze-api-key`,
 * `--braze-export-segment`, `--braze-export-every`, `--braze-export-disable|-enable`), read into the
 * change the domain validates whole (functions/domain/braze-export-settings.ts). The API key may be
 * given as `-` (read stdin) or `@<file>`, so it need not appear in the shell history.
 */
import { readFileSync } from 'node:fs';
import type { BrazeExportUpdate } from '../../functions/domain/braze-export-settings';

export const BRAZE_EXPORT_FLAGS = {
  'braze-rest-url': { type: 'string' },
  'braze-api-key': { type: 'string' },
  'braze-export-segment': { type: 'string' },
  'braze-export-every': { type: 'string' },
  'braze-export-disable': { type: 'boolean' },
  'braze-export-enable': { type: 'boolean' },
} as const;

export type BrazeExportFlags = { readonly [K in keyof typeof BRAZE_EXPORT_FLAGS]?: (typeof BRAZE_EXPORT_FLAGS)[K]['type'] extends 'string' ? string : boolean };

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A secret flag: `-` reads stdin, `@path` the file, anything else is the value; one trailing line break dropped. */
export const secretValue = async (raw: string, stdin: () => Promise<string> = readStdin): Promise<string> => {
  const value = raw === '-' ? await stdin() : raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw;
  return value.replace(/\r?\n$/, '');
};

/** The change the flags ask for, or undefined when no Braze export flag was given. */
export const brazeExportUpdateFrom = async (flags: BrazeExportFlags, stdin?: () => Promise<string>): Promise<BrazeExportUpdate | undefined> => {
  if (flags['braze-export-disable'] && flags['braze-export-enable']) throw new Error('--braze-export-enable and --braze-export-disable contradict each other');
  const update: { -readonly [K in keyof BrazeExportUpdate]: BrazeExportUpdate[K] } = {};
  if (flags['braze-rest-url'] !== undefined) update.restUrl = flags['braze-rest-url'];
  if (flags['braze-api-key'] !== undefined) update.apiKey = await secretValue(flags['braze-api-key'], stdin);
  if (flags['braze-export-segment'] !== undefined) update.segmentId = flags['braze-export-segment'];
  if (flags['braze-export-every'] !== undefined) update.every = flags['braze-export-every'];
  if (flags['braze-export-disable']) update.enabled = false;
  if (flags['braze-export-enable']) update.enabled = true;
  return Object.keys(update).length > 0 ? update : undefined;
};
