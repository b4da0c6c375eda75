/**
 * Byte budgets of the client-supplied strings that become part of a DynamoDB key.
 *
 * DynamoDB limits a partition key value to 2,048 bytes and a sort key value to 1,024 bytes, on the
 * base table and on every GSI, measured as UTF-8. Lengths checked in characters do not bound that
 * (a CJK character is 3 bytes, an emoji 4 — and one "character" to zod, which counts code points —
 * an escaped `#` 3), and a key over its limit fails the write on every delivery: the message ends
 * in the DLQ. So each input is checked at the edge against the
 * budget of the tightest key it ends up in, after the hub's prefixes and escaping; the budgets are
 * derived from the key layouts below (docs/data-model.md, "Key byte budgets").
 */

/** DynamoDB's limits on key attribute values, in UTF-8 bytes (inclusive). */
export const PARTITION_KEY_MAX_BYTES = 2048;
export const SORT_KEY_MAX_BYTES = 1024;

/**
 * Room kept for the workspace id at the front of every partition key. Ids are `ws` + 16 hex
 * (domain/workspaces.ts); 64 is the longest the Heap webhook route even looks up.
 */
export const WORKSPACE_ID_MAX_BYTES = 64;

const inPartitionKey = (fixed: string) => PARTITION_KEY_MAX_BYTES - WORKSPACE_ID_MAX_BYTES - fixed.length;
const inSortKey = (fixed: string) => SORT_KEY_MAX_BYTES - fixed.length;
/** Time part of an event sort key: `<time ms, 15 digits>#` (adapters/dynamo/keys.ts `eventSk`). */
const EVENT_TIME_PREFIX = `${'0'.repeat(15)}#`;

/** Most UTF-8 bytes each input may have, by the keys it is written into (or read by). */
export const KEY_BYTES = {
  /** cohorts: pk `<ws>#C#<cohortId>` and `<ws>#C<nn>#<cohortId>`, set META gsi1sk `<cohortId>`, member gsi1sk `C#<cohortId>`. */
  cohortId: Math.min(inPartitionKey('#C#'), inPartitionKey('#C00#'), inSortKey(''), inSortKey('C#')),
  /**
   * users pk `<ws>#<brazeId>`; aliases gsi1pk `<ws>#<brazeId>`; events pk `<ws>#U#<brazeId>`;
   * cohorts member sk `M#<brazeId>`, gsi1pk `<ws>#P#<brazeId>`, gsi2sk `<brazeId>`.
   */
  brazeId: Math.min(inPartitionKey('#'), inPartitionKey('#U#'), inPartitionKey('#P#'), inSortKey('M#'), inSortKey('')),
  /** aliases: pk `<ws>#<identifierKey>`, byProfile gsi1sk `<identifierKey>` (escaped, see identifierKeyBytes). */
  identifierKey: Math.min(inPartitionKey('#'), inSortKey('')),
  /** events sk and gsi1sk `<time>#<eventId>`; idempotency id `<ws>#currents-event#<eventId>`. */
  eventId: Math.min(inSortKey(EVENT_TIME_PREFIX), inPartitionKey('#currents-event#')),
  /** events byType gsi1pk `<ws>#T#<event_type>#<YYYY-MM-DD>`. */
  eventType: inPartitionKey('#T##YYYY-MM-DD'),
  /** cohorts sk `IMPORT#<importId>` (read API only: the hub issues import ids itself). */
  importId: inSortKey('IMPORT#'),
  /** Heap `sync_task_id`: cohorts sk `SYNC#<id>`; idempotency id `heappage#<ws>#<id>#<page, ≤ 16 digits>`. */
  syncTaskId: Math.min(inSortKey('SYNC#'), inPartitionKey(`heappage###${'9'.repeat(16)}`)),
} as const;

export type KeyInput = keyof typeof KEY_BYTES;

export const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

/** True when `value` fits the byte budget of the named input. */
export const fitsKey = (input: KeyInput, value: string): boolean => utf8Bytes(value) <= KEY_BYTES[input];

/** The refusal text for an input over its budget, e.g. `cohort_id is longer than 1022 bytes (UTF-8)`. */
export const keyBytesMessage = (name: string, input: KeyInput): string => `${name} is longer than ${KEY_BYTES[input]} bytes (UTF-8)`;

/** `#` separates key parts; escaping it (and the escape char) keeps keys unambiguous for any input. */
export const escapeKeyPart = (part: string): string => part.replace(/%/g, '%25').replace(/#/g, '%23');

/** An identifier as the directory keys it (same union as domain/identifiers.ts). */
export type KeyedIdentifier =
  | { readonly kind: 'external_id'; readonly value: string }
  | { readonly kind: 'alias'; readonly label: string; readonly name: string }
  | { readonly kind: 'device_id'; readonly value: string };

/** The fixed part of each identifier key: `ext#<value>`, `dev#<value>`, `alias#<label>#<name>` (domain/identifiers.ts). */
const IDENTIFIER_KEY_FIXED = { external_id: 'ext#'.length, device_id: 'dev#'.length, alias: 'alias##'.length } as const;

/** UTF-8 bytes of `identifierKey(identifier)`, escaping included. */
export const identifierKeyBytes = (identifier: KeyedIdentifier): number =>
  IDENTIFIER_KEY_FIXED[identifier.kind] +
  (identifier.kind === 'alias' ? utf8Bytes(escapeKeyPart(identifier.label)) + utf8Bytes(escapeKeyPart(identifier.name)) : utf8Bytes(escapeKeyPart(identifier.value)));

/** True when the identifier's claim key fits (the aliases table keys it twice, see KEY_BYTES.identifierKey). */
export const identifierFits = (identifier: KeyedIdentifier): boolean => identifierKeyBytes(identifier) <= KEY_BYTES.identifierKey;

/** Bytes left for an identifier's escaped value: 1,020 for an external_id or device_id, 1,017 for an alias's label and name together. */
export const identifierValueBytes = (kind: KeyedIdentifier['kind']): number => KEY_BYTES.identifierKey - IDENTIFIER_KEY_FIXED[kind];

/** The refusal text for an identifier over its budget. */
export const identifierBytesMessage = (name: string, kind: KeyedIdentifier['kind']): string =>
  `${name} ${kind === 'alias' ? 'are' : 'is'} longer than ${identifierValueBytes(kind)} bytes (UTF-8, each # or % counting 3)`;
