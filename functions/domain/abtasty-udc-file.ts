/**
 * The file the hub pushes to AB Tasty's Universal Data Connector (UDC): which characters each
 * column may hold, the segment token a Heap segment is named by, and a streaming CSV body builder.
 * Pure: no I/O. Contract and sources: docs/abtasty-delivery.md.
 */
import { createHash } from 'node:crypto';

/** AB Tasty's documented visitor id rule: `(?i)^[a-z0-9-]{1,32}$`. */
export const UDC_VISITOR_ID = /^[a-z0-9-]{1,32}$/i;

/**
 * AB Tasty's documented `value` rule: `[[:alnum:]]`, `$€£[]{}&(§!)-_%=+:/.?<>@#` and `À-ÿ`
 * (U+00C0–U+00FF), case-insensitive. `[[:alnum:]]` is read as ASCII letters and digits (POSIX class
 * as RE2/Go reads it): stricter than a Unicode reading, so anything accepted here is accepted there.
 * No space, comma, quote or line break can occur, so a value never needs CSV quoting.
 */
const VALUE_CHAR = /[A-Za-z0-9$€£[\]{}&(§!)\-_%=+:/.?<>@#\u00C0-\u00FF]/u;

/**
 * Longest value the hub sends. AB Tasty's rule ends in `{1,…}`; the stored copy of the docs is cut
 * before the bound, so the hub stays well inside any plausible one (decision, docs/abtasty-delivery.md).
 */
export const MAX_VALUE_LENGTH = 64;

/** True when every character of `value` is one AB Tasty accepts and the length is 1–MAX_VALUE_LENGTH. */
export const isUdcValue = (value: string): boolean => {
  const chars = [...value];
  return chars.length >= 1 && chars.length <= MAX_VALUE_LENGTH && chars.every((char) => VALUE_CHAR.test(char));
};

/**
 * Turns free text (a segment name, a configured label) into a value AB Tasty accepts, or undefined
 * when nothing usable is left: Unicode NFC (so `e` + combining accent becomes `é`, inside À–ÿ),
 * whitespace runs and commas become `_`, any other refused character is dropped, and the result is
 * cut at MAX_VALUE_LENGTH characters. Idempotent: a valid value is returned unchanged.
 */
export const normaliseUdcValue = (raw: string): string | undefined => {
  const replaced = raw.normalize('NFC').trim().replace(/[\s,]+/gu, '_');
  const kept = [...replaced].filter((char) => VALUE_CHAR.test(char)).slice(0, MAX_VALUE_LENGTH).join('');
  return kept.length > 0 ? kept : undefined;
};

/** Heap segment ids written as they are in a token (readable: `heap_4242`). */
const PLAIN_SEGMENT_ID = /^[A-Za-z0-9_]{1,58}$/;

/** Every token the hub writes: `heap_<id>` or `heapx_<32 hex>`, ≤ 63 characters. */
export const SEGMENT_TOKEN = /^heapx?_[A-Za-z0-9_]{1,58}$/;

/**
 * The name a Heap segment has in the UDC file (and in Flagship context keys `<partner>::<token>`).
 * Never the free-text segment name (that goes in the delivery report). `heap_<segmentId>` for ids
 * of letters, digits and `_` (Heap's ids are integers); any other id (the hub's segment id charset
 * also allows `.`, `:` and `-`) or a longer one becomes `heapx_` + 32 hex digits of its SHA-256.
 * The two prefixes never meet, so two segments never share a token. A token is a valid UDC value
 * too (letters, digits, `_`) and holds no `:`, which Flagship uses as its key separator.
 */
export const udcSegmentToken = (segmentId: string): string =>
  PLAIN_SEGMENT_ID.test(segmentId) ? `heap_${segmentId}` : `heapx_${createHash('sha256').update(segmentId, 'utf8').digest('hex').slice(0, 32)}`;

/** One line of the file: a visitor in a segment, with an optional value. */
export interface UdcRow {
  readonly segment: string;
  readonly visitorId: string;
  readonly value?: string;
}

/** The header line; column names per docs/abtasty-delivery.md ("File columns"). */
export const UDC_CSV_HEADER = 'visitor_id,segment,value';

export const UDC_CONTENT_TYPE = 'text/csv';

/** Why a row was left out of the file (never expected: members are validated when stored). */
export type RowRefusal = 'visitor_id' | 'segment' | 'value';

/** The refusal for a row, or undefined when AB Tasty's rules accept it. */
export const checkRow = (row: UdcRow): RowRefusal | undefined => {
  if (!UDC_VISITOR_ID.test(row.visitorId)) return 'visitor_id';
  if (!SEGMENT_TOKEN.test(row.segment)) return 'segment';
  if (row.value !== undefined && !isUdcValue(row.value)) return 'value';
  return undefined;
};

/** What one body carried, updated while it streams (the report reads it after the upload). */
export interface BodyCount {
  rows: number;
  bytes: number;
  refused: number;
}

export const emptyCount = (): BodyCount => ({ rows: 0, bytes: 0, refused: 0 });

/** Bytes gathered before a chunk is handed to the HTTP body. */
export const UDC_CHUNK_BYTES = 64 * 1024;

/**
 * The CSV body, streamed: the header line, then one `visitor_id,segment,value` line per accepted
 * row (an absent value is an empty field), as UTF-8 chunks of about `chunkBytes`. It holds one chunk
 * at a time, never a segment; `count` says how many rows and bytes went out (and how many rows were
 * refused) as the stream is read. No field needs quoting: none of the three charsets has `,`, `"` or
 * a line break.
 */
export async function* udcCsvChunks(rows: AsyncIterable<UdcRow>, count: BodyCount, chunkBytes = UDC_CHUNK_BYTES): AsyncGenerator<Uint8Array> {
  let pending = [`${UDC_CSV_HEADER}\n`];
  let pendingBytes = pending[0]?.length ?? 0;
  const flush = () => {
    const bytes = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingBytes = 0;
    count.bytes += bytes.byteLength;
    return bytes;
  };
  for await (const row of rows) {
    if (checkRow(row) !== undefined) {
      count.refused += 1;
      continue;
    }
    const line = `${row.visitorId},${row.segment},${row.value ?? ''}\n`;
    pending.push(line);
    pendingBytes += Buffer.byteLength(line, 'utf8');
    count.rows += 1;
    if (pendingBytes >= chunkBytes) yield flush();
  }
  if (pending.length > 0) yield flush();
}
