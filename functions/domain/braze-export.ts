/**
 * Braze's own user exports (docs/braze-export.md): `POST /users/export/segment` writes user objects,
 * one JSON object per line, in files of about 5,000 users, to the customer's bucket under
 * `segment-export/<SEGMENT_ID>/<YYYY-MM-dd>/<RANDOM_UUID>-<TIMESTAMP>/<file>.zip` (`.gz` with
 * `output_format: "gzip"`), or behind a download URL. Pure: the key layout, one export line as the
 * identifiers of one user, and the request body the hub sends.
 */
import { rowKeyBytesProblem, text, aliasPair, type ImportReject, type ImportRow } from './user-import';

/** The fields the hub asks for: exactly what the directory mirrors. */
export const BRAZE_EXPORT_FIELDS = ['braze_id', 'external_id', 'user_aliases', 'devices'] as const;

/** `POST {rest url}/users/export/segment` body (Braze's "Export user profile by segment"). */
export const exportRequestBody = (segmentId: string) => ({ segment_id: segmentId, fields_to_export: [...BRAZE_EXPORT_FIELDS] });

/** The prefix Braze writes one segment's exports under (the S3 notification filter). */
export const segmentExportPrefix = (segmentId: string): string => `segment-export/${segmentId}/`;

export interface ExportObjectKey {
  readonly segmentId: string;
  /** `YYYY-MM-dd`: the day Braze finished. */
  readonly day: string;
  /** Braze's random UUID of the export request. */
  readonly exportId: string;
  /** When the export was requested (epoch ms): the version of every fact in the file. */
  readonly startedAtMs: number;
  readonly compression: 'zip' | 'gzip';
}

/**
 * Reads `segment-export/<SEGMENT_ID>/<YYYY-MM-dd>/<RANDOM_UUID>-<TIMESTAMP>/<file>.zip|.gz`.
 * TIMESTAMP is Unix seconds: Braze's table calls it "seconds since 2017-01-01", but its own example
 * (1556044807 in a 2019-04-25 folder) is 2019-04-23 only when read from 1970.
 */
export const parseExportKey = (key: string): ExportObjectKey | undefined => {
  const match = /^segment-export\/([^/]+)\/(\d{4}-\d{2}-\d{2})\/(.+)-(\d{1,12})\/[^/]+\.(zip|gz)$/.exec(key);
  if (!match) return undefined;
  const [, segmentId, day, exportId, seconds, extension] = match as unknown as [string, string, string, string, string, string];
  return { segmentId, day, exportId, startedAtMs: Number(seconds) * 1000, compression: extension === 'gz' ? 'gzip' : 'zip' };
};

const objectOf = (value: unknown, what: string): Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} must be an object`);
  return value as Record<string, unknown>;
};

const listOf = (value: unknown, name: string): unknown[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${name} must be an array`);
  return value;
};

/**
 * A device's id as Currents and cohort imports carry it: `device_id` (Android, web), else `idfv`,
 * which Braze's field list calls the iOS "Braze device identifier".
 */
const deviceIdOf = (device: unknown): string | undefined => {
  const fields = objectOf(device, 'each devices entry');
  return text(fields.device_id, 'devices[].device_id') ?? text(fields.idfv, 'devices[].idfv');
};

const parseUser = (fields: Record<string, unknown>, line: number): ImportRow => {
  const brazeId = text(fields.braze_id, 'braze_id');
  if (!brazeId) throw new Error('needs a braze_id (export with braze_id in fields_to_export)');
  const externalId = text(fields.external_id, 'external_id');
  const aliases = listOf(fields.user_aliases, 'user_aliases').map((entry) => {
    const alias = objectOf(entry, 'each user_aliases entry');
    const pair = aliasPair(alias.alias_label, alias.alias_name);
    if (!pair) throw new Error('each user_aliases entry needs alias_label and alias_name');
    return pair;
  });
  const deviceIds = [...new Set(listOf(fields.devices, 'devices').map(deviceIdOf).filter((id): id is string => id !== undefined))];
  return { line, brazeId, ...(externalId ? { externalId } : {}), aliases, deviceIds };
};

/**
 * One line of a Braze export file: the user's braze_id, external_id (absent or null for anonymous
 * users), aliases and device ids; every other field is ignored. Blank lines give undefined; a line
 * the hub cannot use is a reject with its reason.
 */
export const parseExportLine = (raw: string, line: number): ImportRow | ImportReject | undefined => {
  if (raw.trim() === '') return undefined;
  try {
    const row = parseUser(objectOf(JSON.parse(raw) as unknown, 'a line'), line);
    const labels = row.aliases.map((alias) => alias.label);
    if (new Set(labels).size !== labels.length) throw new Error('two user_aliases with one alias_label (Braze allows one per label)');
    const oversize = rowKeyBytesProblem(row);
    if (oversize) throw new Error(oversize);
    return row;
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message;
    return { line, reason, raw: raw.length > 2000 ? raw.slice(0, 2000) : raw };
  }
};
