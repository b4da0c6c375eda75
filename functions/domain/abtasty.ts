/**
 * The AB Tasty pull API's logic over the segment reads: which segments exist (non-empty only — AB
 * Tasty hides empty segments), which segments a visitor is in (the hot path: one Query), a
 * segment's members page by page, and the segment as a Universal Data Connector CSV.
 */
import { createHash } from 'node:crypto';
import type { WorkspaceRecord } from '../schemas/workspace';
import type { SetRef } from './membership';
import { INVALID_CURSOR, invalid, notFound, ok, type Outcome } from './outcomes';
import type { Clock, CursorCodec, SegmentMeta, SegmentReads } from './ports';
import { MAX_VISITOR_ID_LENGTH, normaliseVisitorId } from './visitor-ids';
import { SEGMENT_ID_PATTERN } from '../schemas/heap';
import { normaliseUdcValue, udcSegmentToken } from './abtasty-udc-file';

/** The ports live in ports/sets.ts; re-exported because abtasty-delivery.ts imports them from here. */
export type { SegmentMeta, SegmentReads } from './ports';

export interface LastSync {
  readonly sync_task_id: string;
  readonly at: string;
  readonly pages_seen: number;
  readonly total_pages: number;
  readonly complete: boolean;
}

export interface SegmentSummary {
  readonly id: string;
  readonly name: string;
  readonly member_count: number;
  readonly last_sync: LastSync | null;
}

const SEGMENT_NOT_FOUND = 'Segment not found';

/** The segment's set, or undefined for an id no segment can have. */
const segmentRef = (workspaceId: string, segmentId: string | undefined): SetRef | undefined =>
  segmentId && SEGMENT_ID_PATTERN.test(segmentId) ? { workspaceId, kind: 'segment', setId: segmentId } : undefined;

/** A segment that exists: its set and metadata. */
const findSegment = async (reads: SegmentReads, workspaceId: string, segmentId: string | undefined): Promise<Outcome<{ set: SetRef; meta: SegmentMeta }>> => {
  const set = segmentRef(workspaceId, segmentId);
  const meta = set && (await reads.getSet(set));
  return set && meta ? ok({ set, meta }) : notFound(SEGMENT_NOT_FOUND);
};

const lastSyncOf = (meta: SegmentMeta): LastSync | null => {
  const last = meta.lastSync as { syncTaskId?: string; at?: string; pagesSeen?: number; totalPages?: number } | undefined;
  if (!last?.syncTaskId || !last.at) return null;
  const pagesSeen = Number(last.pagesSeen ?? 0);
  const totalPages = Number(last.totalPages ?? 0);
  return { sync_task_id: last.syncTaskId, at: last.at, pages_seen: pagesSeen, total_pages: totalPages, complete: pagesSeen >= totalPages };
};

/** Segment names default to the id when Heap never sent one. */
const summary = (meta: SegmentMeta): SegmentSummary => ({
  id: meta.setId,
  name: meta.name ?? meta.setId,
  member_count: meta.memberCount,
  last_sync: lastSyncOf(meta),
});

/** Every segment of the workspace, with metadata (pages of 1,000 from the sparse set list). */
export const allSegments = async (reads: SegmentReads, workspaceId: string): Promise<SegmentMeta[]> => {
  const sets: SegmentMeta[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await reads.listSets(workspaceId, 'segment', 1000, startKey);
    sets.push(...page.sets);
    startKey = page.nextKey;
  } while (startKey);
  return sets;
};

/** GET /abtasty/segments: the segments with at least one member. */
export const listActiveSegments = async (reads: SegmentReads, workspaceId: string): Promise<{ segments: SegmentSummary[] }> => ({
  segments: (await allSegments(reads, workspaceId)).filter((meta) => meta.memberCount > 0).map(summary),
});

/** A visitor id from a path, normalised, or an `invalid` outcome that says what AB Tasty accepts. */
export const parseVisitorId = (raw: string | undefined): Outcome<string> => {
  const id = normaliseVisitorId(raw);
  return id === undefined ? invalid('Invalid visitor id', ['visitorId must match ^[a-z0-9-]{1,32}$ (letters, digits and dashes, case-insensitive)']) : ok(id);
};

/**
 * Segment names of a workspace, cached per warm container for `ttlMs`. Names live on the segment's
 * META item, not on member items (a rename would rewrite every member), so the hot path reads them
 * from here: one Query for the visitor's segments, and the set list only when the cache is cold,
 * expired, or misses a segment (a new one) — at most once per `missRefreshMs` per workspace.
 */
export const segmentNameCache = (reads: SegmentReads, clock: Clock, options: { ttlMs?: number; missRefreshMs?: number; maxWorkspaces?: number } = {}) => {
  const ttlMs = options.ttlMs ?? 60_000;
  const missRefreshMs = options.missRefreshMs ?? 2_000;
  const maxWorkspaces = options.maxWorkspaces ?? 500;
  const cache = new Map<string, { names: Map<string, string>; loadedAt: number }>();
  const load = async (workspaceId: string) => {
    const names = new Map((await allSegments(reads, workspaceId)).map((meta) => [meta.setId, meta.name ?? meta.setId]));
    if (cache.size >= maxWorkspaces) cache.clear();
    const entry = { names, loadedAt: clock.now() };
    cache.set(workspaceId, entry);
    return entry;
  };
  return {
    async namesOf(workspaceId: string, setIds: readonly string[]): Promise<Map<string, string>> {
      let entry = cache.get(workspaceId);
      const age = entry ? clock.now() - entry.loadedAt : Infinity;
      const missing = entry ? setIds.some((id) => !entry?.names.has(id)) : true;
      if (!entry || age > ttlMs || (missing && age > missRefreshMs)) entry = await load(workspaceId);
      return entry.names;
    },
  };
};

export type SegmentNames = ReturnType<typeof segmentNameCache>;

/** GET /abtasty/visitors/{visitorId}/segments: the visitor's current segments, by id. */
export const visitorSegments = async (
  reads: SegmentReads,
  names: SegmentNames,
  workspaceId: string,
  rawVisitorId: string | undefined,
): Promise<Outcome<{ visitor_id: string; segments: { id: string; name: string }[] }>> => {
  const visitorId = parseVisitorId(rawVisitorId);
  if (!visitorId.ok) return visitorId;
  const sets = await reads.setsOfMember(workspaceId, 'visitor', visitorId.value, 'segment');
  const ids = sets.map((set) => set.setId).sort();
  const known = ids.length > 0 ? await names.namesOf(workspaceId, ids) : new Map<string, string>();
  return ok({ visitor_id: visitorId.value, segments: ids.map((id) => ({ id, name: known.get(id) ?? id })) });
};

/** Strong ETag of a response body. */
export const etagOf = (body: string): string => `"${createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 27)}"`;

/** True when an If-None-Match header names this ETag (weak comparison, lists and `*` allowed). */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean => {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
};

/** GET /abtasty/segments/{segmentId}/visitors: one page of members, continued with a cursor signed for the segment. */
export const segmentVisitorsPage = async (
  deps: { reads: SegmentReads; cursors: CursorCodec },
  workspace: WorkspaceRecord,
  segmentId: string | undefined,
  page: { limit: number; cursor: string | undefined },
) => {
  const route = `abtasty-visitors:${segmentId ?? ''}`;
  const cursor = await deps.cursors.decode(workspace, route, page.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  const segment = await findSegment(deps.reads, workspace.workspaceId, segmentId);
  if (!segment.ok) return segment;
  const members = await deps.reads.listMembers(segment.value.set, page.limit, cursor.key);
  return ok({
    segment: summary(segment.value.meta),
    visitors: members.members.map((member) => member.memberId),
    next_cursor: (await deps.cursors.encode(workspace, route, members.nextKey)) ?? null,
  });
};

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** Leading characters a spreadsheet would start a formula with (all inside AB Tasty's value charset). */
const FORMULA_LEAD = /^[=+\-@]+/;

/**
 * The `value` cell of the pull CSV, by the push's rules (domain/abtasty-udc-file.ts): the segment
 * name or `?value=` normalised into AB Tasty's value charset (`normaliseUdcValue`: no space, comma,
 * quote or line break, so never quoted), then stripped of leading `=`, `+`, `-`, `@` so no cell
 * starts like a formula (a `'` prefix would be outside the charset and refused by AB Tasty).
 * Undefined when nothing is left.
 */
export const pullCsvValue = (text: string): string | undefined => {
  const value = normaliseUdcValue(text)?.replace(FORMULA_LEAD, '');
  return value ? value : undefined;
};

/**
 * Bytes a piece of the body adds to the Lambda response: UTF-8, escaped as a JSON string (API
 * Gateway's proxy response carries the body inside JSON: `"` and line breaks take 2 bytes there).
 */
export const responseBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;

/** Lambda responses are capped at 6 MB; a CSV response stops adding pages past this many bytes. */
export const UDC_MAX_BYTES = 5_000_000;

/** Most bytes one page of rows may add after that: 5 MB + 1 MB stays under Lambda's 6 MiB. */
export const UDC_PAGE_MAX_BYTES = 1_000_000;

/** The largest row this response can hold: the longest visitor id with this value. */
const maxRowBytes = (value: string): number => responseBytes(`${'x'.repeat(MAX_VISITOR_ID_LENGTH)},${value}\n`);

/**
 * GET /abtasty/segments/{segmentId}/udc.csv: `visitor_id,value`, one row per member, read page by
 * page. `value` is the segment name unless the caller picks one, either as `pullCsvValue` writes it. When the segment is larger than
 * one response can hold, `nextKey` says where the next request (with `cursor`) continues; the
 * header row is only in the first part, so the parts concatenate into one file. Sizes are counted
 * in response bytes per row (a non-ASCII value takes up to 3 bytes a character), and each page is
 * small enough that its rows fit in `pageMaxBytes` even at the largest row size.
 */
export const segmentUdcCsv = async (
  reads: SegmentReads,
  workspaceId: string,
  segmentId: string | undefined,
  options: { value?: string; startKey?: Record<string, unknown>; maxBytes?: number; pageSize?: number; pageMaxBytes?: number },
): Promise<Outcome<UdcCsv>> => {
  const found = await findSegment(reads, workspaceId, segmentId);
  if (!found.ok) return found;
  const { set, meta } = found.value;
  const segment = summary(meta);
  // A name with no usable character is written as its segment token (always a valid value).
  const value = pullCsvValue(options.value ?? segment.name) ?? udcSegmentToken(segment.id);
  const maxBytes = options.maxBytes ?? UDC_MAX_BYTES;
  const pageLimit = Math.max(1, Math.min(options.pageSize ?? 1000, Math.floor((options.pageMaxBytes ?? UDC_PAGE_MAX_BYTES) / maxRowBytes(value))));
  const lines: string[] = options.startKey ? [] : ['visitor_id,value'];
  let bytes = lines.length > 0 ? responseBytes('visitor_id,value\n') : 0;
  let rows = 0;
  let startKey = options.startKey;
  do {
    const page = await reads.listMembers(set, pageLimit, startKey);
    for (const member of page.members) {
      const line = `${csvField(member.memberId)},${value}`;
      lines.push(line);
      bytes += responseBytes(`${line}\n`);
      rows += 1;
    }
    startKey = page.nextKey;
  } while (startKey && bytes < maxBytes);
  return ok({ csv: `${lines.join('\n')}\n`, rows, segment, ...(startKey ? { nextKey: startKey } : {}) });
};

/** A part of the UDC CSV: its text, rows and segment, and where the next part starts. */
export interface UdcCsv {
  readonly csv: string;
  readonly rows: number;
  readonly nextKey?: Record<string, unknown>;
  readonly segment: SegmentSummary;
}

/**
 * GET /abtasty/segments/{segmentId}/udc.csv?value=&cursor=: the `value` checked (1 to 256
 * characters), the cursor opened (signed for this segment's CSV), then one part of the CSV with the
 * cursor of the next part, if any.
 */
export const segmentUdcCsvPart = async (
  deps: { reads: SegmentReads; cursors: CursorCodec },
  workspace: WorkspaceRecord,
  segmentId: string | undefined,
  query: { value: string | undefined; cursor: string | undefined },
): Promise<Outcome<UdcCsv & { nextCursor: string | undefined }>> => {
  const { value } = query;
  if (value !== undefined && (value.length === 0 || value.length > 256)) return invalid('value must be 1 to 256 characters');
  if (value !== undefined && pullCsvValue(value) === undefined) return invalid('value has no character AB Tasty accepts');
  const route = `abtasty-udc:${segmentId ?? ''}`;
  const cursor = await deps.cursors.decode(workspace, route, query.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  const part = await segmentUdcCsv(deps.reads, workspace.workspaceId, segmentId, { ...(value !== undefined ? { value } : {}), startKey: cursor.key });
  return part.ok ? ok({ ...part.value, nextCursor: await deps.cursors.encode(workspace, route, part.value.nextKey) }) : part;
};

/**
 * For the users read API: the Heap segments of a profile's `ABTastyVisitorId` alias (one Query).
 * An alias value that is not a valid AB Tasty visitor id has no segments (never an error).
 */
export const heapSegmentsOfAlias = async (
  reads: Pick<SegmentReads, 'setsOfMember'>,
  workspaceId: string,
  aliasName: string | undefined,
): Promise<{ visitorId: string; segmentIds: string[] } | undefined> => {
  const visitorId = normaliseVisitorId(aliasName);
  if (visitorId === undefined) return undefined;
  const sets = await reads.setsOfMember(workspaceId, 'visitor', visitorId, 'segment');
  return { visitorId, segmentIds: sets.map((set) => set.setId).sort() };
};

/** The alias label under which Braze profiles carry the AB Tasty visitor id. */
export const AB_TASTY_ALIAS_LABEL = 'ABTastyVisitorId';
