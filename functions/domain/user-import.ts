/**
 * Bulk import of profiles and identifiers for a first setup (`npm run admin -- users import`). Pure:
 * parses rows, validates them, and groups rows of one user into one record; the script does the I/O.
 *
 * Formats (one user or one identifier per row; rows of the same user are combined):
 * - CSV with a header naming any of: `braze_id, external_id, alias_label, alias_name, device_id`
 *   (RFC 4180 quoting; a field may not span lines);
 * - JSONL: `{"braze_id"?, "external_id"?, "user_aliases"?: [{"alias_label", "alias_name"}],
 *   "user_alias"?: {…}, "alias_label"?, "alias_name"?, "device_id"?, "device_ids"?: [...]}`.
 * A row needs an external_id, an alias or a braze_id. Without a braze_id the user's id is derived
 * from its external_id (or its alias), so re-running an import converges on the same profiles.
 */
import { createHash } from 'node:crypto';
import { MAX_ID_LENGTH } from '../schemas/currents';
import { UNSTORABLE_MAP_KEYS, ownValue } from '../shared/own';
import { fitsKey, identifierBytesMessage, identifierFits, keyBytesMessage } from '../schemas/key-bytes';
import { identifierKey, type Identifier } from './identifiers';
import { aliasOnlyBrazeId } from './identity';

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportRow {
  readonly line: number;
  readonly brazeId?: string;
  readonly externalId?: string;
  readonly aliases: readonly { label: string; name: string }[];
  readonly deviceIds: readonly string[];
}

export interface ImportRecord {
  readonly brazeId: string;
  externalId?: string;
  readonly aliases: Record<string, string>;
  readonly deviceIds: string[];
  /** Lines that contributed to it, for reject reports. */
  readonly lines: number[];
}

export interface ImportReject {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

export const CSV_COLUMNS = ['braze_id', 'external_id', 'alias_label', 'alias_name', 'device_id'] as const;

/** Splits one CSV line (RFC 4180 quoting); undefined if a quoted field is left open. */
export const splitCsvLine = (line: string): string[] | undefined => {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
};

/** Reads a CSV header; throws when it names no known column (the file cannot be imported). */
export const csvHeader = (line: string): string[] => {
  const columns = (splitCsvLine(line.replace(/^\uFEFF/, '')) ?? []).map((column) => column.trim().toLowerCase());
  if (!columns.some((column) => (CSV_COLUMNS as readonly string[]).includes(column))) {
    throw new Error(`CSV header must name some of: ${CSV_COLUMNS.join(', ')}`);
  }
  return columns;
};

/** A trimmed identifier value, or undefined when absent or blank; throws when it is not a string or too long. */
export const text = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be a string`);
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (trimmed.length > MAX_ID_LENGTH) throw new Error(`${name} is longer than ${MAX_ID_LENGTH} characters`);
  return trimmed;
};

/** An alias from a label and a name (both or neither); throws for half an alias or an unstorable label. */
export const aliasPair = (label: unknown, name: unknown): { label: string; name: string } | undefined => {
  const l = text(label, 'alias_label');
  const n = text(name, 'alias_name');
  if ((l === undefined) !== (n === undefined)) throw new Error('alias_label and alias_name go together');
  if (l !== undefined && UNSTORABLE_MAP_KEYS.includes(l)) throw new Error(`alias_label "${l}" cannot be stored (a profile's aliases are a DynamoDB map)`);
  return l !== undefined && n !== undefined ? { label: l, name: n } : undefined;
};

/** Why a row holds a value over the byte budget of its DynamoDB key (key-bytes.ts), or undefined. */
export const rowKeyBytesProblem = (row: ImportRow): string | undefined => {
  if (row.brazeId !== undefined && !fitsKey('brazeId', row.brazeId)) return keyBytesMessage('braze_id', 'brazeId');
  if (row.externalId !== undefined && !identifierFits({ kind: 'external_id', value: row.externalId })) return identifierBytesMessage('external_id', 'external_id');
  if (row.aliases.some(({ label, name }) => !identifierFits({ kind: 'alias', label, name }))) return identifierBytesMessage('alias_label and alias_name', 'alias');
  if (row.deviceIds.some((value) => !identifierFits({ kind: 'device_id', value }))) return identifierBytesMessage('device_id', 'device_id');
  return undefined;
};

/** Parses one data line; returns the row or a reject (blank lines give undefined). */
export const parseImportLine = (format: ImportFormat, raw: string, line: number, header: readonly string[] = []): ImportRow | ImportReject | undefined => {
  if (raw.trim() === '') return undefined;
  try {
    let fields: Record<string, unknown>;
    if (format === 'csv') {
      const values = splitCsvLine(raw);
      if (!values) throw new Error('unterminated quoted field (fields may not span lines)');
      if (values.length > header.length) throw new Error(`has ${values.length} fields, header has ${header.length}`);
      fields = Object.fromEntries(header.map((column, index) => [column, values[index]]));
    } else {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      fields = parsed as Record<string, unknown>;
    }
    const aliases: { label: string; name: string }[] = [];
    const single = aliasPair(fields.alias_label, fields.alias_name);
    if (single) aliases.push(single);
    const userAlias = fields.user_alias as Record<string, unknown> | undefined;
    if (userAlias !== undefined) {
      const pair = typeof userAlias === 'object' && userAlias !== null ? aliasPair(userAlias.alias_label, userAlias.alias_name) : undefined;
      if (!pair) throw new Error('user_alias needs alias_label and alias_name');
      aliases.push(pair);
    }
    if (fields.user_aliases !== undefined) {
      if (!Array.isArray(fields.user_aliases)) throw new Error('user_aliases must be an array');
      for (const entry of fields.user_aliases as unknown[]) {
        const pair = typeof entry === 'object' && entry !== null ? aliasPair((entry as Record<string, unknown>).alias_label, (entry as Record<string, unknown>).alias_name) : undefined;
        if (!pair) throw new Error('each user_aliases entry needs alias_label and alias_name');
        aliases.push(pair);
      }
    }
    const deviceIds: string[] = [];
    const device = text(fields.device_id, 'device_id');
    if (device) deviceIds.push(device);
    if (fields.device_ids !== undefined) {
      if (!Array.isArray(fields.device_ids)) throw new Error('device_ids must be an array');
      for (const value of fields.device_ids as unknown[]) {
        const id = text(value, 'device_ids[]');
        if (id) deviceIds.push(id);
      }
    }
    const brazeId = text(fields.braze_id, 'braze_id');
    const externalId = text(fields.external_id, 'external_id');
    if (!brazeId && !externalId && aliases.length === 0) throw new Error('needs an external_id, an alias or a braze_id');
    const row: ImportRow = { line, ...(brazeId ? { brazeId } : {}), ...(externalId ? { externalId } : {}), aliases, deviceIds };
    const oversize = rowKeyBytesProblem(row);
    if (oversize) throw new Error(oversize);
    return row;
  } catch (error) {
    return { line, reason: (error as Error).message, raw: raw.length > 2000 ? raw.slice(0, 2000) : raw };
  }
};

export const isReject = (value: ImportRow | ImportReject): value is ImportReject => 'reason' in value;

/** The braze id a row's user gets: its own, else derived from its external_id or first alias. */
export const importBrazeId = (workspaceId: string, row: ImportRow): string => {
  if (row.brazeId) return row.brazeId;
  if (row.externalId) return createHash('sha256').update(`${workspaceId}\next\n${row.externalId}`).digest('hex').slice(0, 24);
  const alias = row.aliases[0];
  if (!alias) throw new Error('row without identifiers');
  return aliasOnlyBrazeId(workspaceId, alias.label, alias.name);
};

/** Every identifier a record (or a profile: same fields) claims. */
export const recordIdentifiers = (record: Pick<ImportRecord, 'externalId' | 'aliases' | 'deviceIds'>): Identifier[] => [
  ...(record.externalId !== undefined ? [{ kind: 'external_id' as const, value: record.externalId }] : []),
  ...Object.entries(record.aliases).map(([label, name]) => ({ kind: 'alias' as const, label, name })),
  ...record.deviceIds.map((value) => ({ kind: 'device_id' as const, value })),
];

/**
 * Groups rows into one record per user. Rows meet on a braze_id, an external_id or an alias; a row
 * that contradicts its user (a second external_id, another name under the same label) or names an
 * identifier already given to another user in this file is rejected whole.
 */
export const groupRows = (
  workspaceId: string,
  rows: readonly ImportRow[],
  rawOf: (line: number) => string,
  /** identifier key → braze id of the profile already holding it in the directory. */
  existingOwners: ReadonlyMap<string, string> = new Map(),
) => {
  const records = new Map<string, ImportRecord>();
  const owner = new Map<string, string>(existingOwners);
  const rejects: ImportReject[] = [];
  for (const row of rows) {
    const keys = [
      ...(row.externalId ? [identifierKey({ kind: 'external_id', value: row.externalId })] : []),
      ...row.aliases.map((alias) => identifierKey({ kind: 'alias', ...alias })),
    ];
    const known = keys.map((key) => owner.get(key)).find((id) => id !== undefined);
    const brazeId = row.brazeId ?? known ?? importBrazeId(workspaceId, row);
    const reject = (reason: string) => rejects.push({ line: row.line, reason, raw: rawOf(row.line) });
    const record = records.get(brazeId) ?? { brazeId, aliases: {}, deviceIds: [], lines: [] };
    const identifiers: Identifier[] = [
      ...(row.externalId ? [{ kind: 'external_id' as const, value: row.externalId }] : []),
      ...row.aliases.map((alias) => ({ kind: 'alias' as const, ...alias })),
      ...row.deviceIds.map((value) => ({ kind: 'device_id' as const, value })),
    ];
    const taken = identifiers.find((identifier) => {
      const holder = owner.get(identifierKey(identifier));
      return holder !== undefined && holder !== brazeId;
    });
    if (taken) {
      reject(`${identifierKey(taken)} already belongs to another user in this file`);
      continue;
    }
    if (row.externalId && record.externalId !== undefined && record.externalId !== row.externalId) {
      reject(`user ${brazeId} already has external_id ${record.externalId}`);
      continue;
    }
    const labels = new Map<string, string>();
    const clash = row.aliases.find((alias) => {
      const current = ownValue(record.aliases, alias.label) ?? labels.get(alias.label);
      labels.set(alias.label, alias.name);
      return current !== undefined && current !== alias.name;
    });
    if (clash) {
      reject(`user ${brazeId} already has an alias with label ${clash.label}`);
      continue;
    }
    if (row.externalId) record.externalId = row.externalId;
    for (const alias of row.aliases) record.aliases[alias.label] = alias.name;
    for (const device of row.deviceIds) if (!record.deviceIds.includes(device)) record.deviceIds.push(device);
    record.lines.push(row.line);
    records.set(brazeId, record);
    for (const identifier of identifiers) owner.set(identifierKey(identifier), brazeId);
  }
  return { records: [...records.values()], rejects };
};
