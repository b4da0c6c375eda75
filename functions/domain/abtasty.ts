/**
 * The AB Tasty pull API's logic over the segment reads: which segments exist (non-empty only — AB
 * Tasty hides empty segments), which segments a visitor is in (the hot path: one Query), a
 * segment's members page by page, and the segment as a Universal Data Connector CSV.
 */
import { createHash } from 'node:crypto';
import { BadRequestError, NotFoundError } from '../shared/errors';
import type { MemberKind, SetKind, SetRef } from './membership';
import { MAX_VISITOR_ID_LENGTH, normaliseVisitorId } from './visitor-ids';
import { SEGMENT_ID_PATTERN } from '../schemas/heap';

/** Set metadata as the reads return it (META item). */
export interface SegmentMeta {
  readonly setId: string;
  readonly name?: string;
  readonly memberCount: number;
  readonly [extra: string]: unknown;
}

/** Port: the membership reads this API needs (implemented by `membershipReads`). */
export interface SegmentReads {
  listSets(workspaceId: string, kind: SetKind, limit: number, startKey?: Record<string, unknown>): Promise<{ sets: SegmentMeta[]; nextKey?: Record<string, unknown> }>;
  getSet(set: SetRef): Promise<SegmentMeta | undefined>;
  listMembers(set: SetRef, limit: number, startKey?: Record<string, unknown>): Promise<{ members: { memberId: string }[]; nextKey?: Record<string, unknown> }>;
  setsOfMember(workspaceId: string, memberKind: MemberKind, memberId: string, kind: SetKind): Promise<{ setId: string }[]>;
}

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


const segmentRef = (workspaceId: string, segmentId: string | undefined): SetRef => {
  if (!segmentId || !SEGMENT_ID_PATTERN.test(segmentId)) throw new NotFoundError('Segment not found');
  return { workspaceId, kind: 'segment', setId: segmentId };
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

/** A visitor id from a path, normalised, or a 400 that says what AB Tasty accepts. */
export const requireVisitorId = (raw: string | undefined): string => {
  const id = normaliseVisitorId(raw);
  if (id === undefined) {
    throw new BadRequestError('Invalid visitor id', ['visitorId must match ^[a-z0-9-]{1,32}$ (letters, digits and dashes, case-insensitive)']);
  }
  return id;
};

/**
 * Segment names of a workspace, cached per warm container for `ttlMs`. Names live on the segment's
 * META item, not on member items (a rename would rewrite every member), so the hot path reads them
 * from here: one Query for the visitor's segments, and the set list only when the cache is cold,
 * expired, or misses a segment (a new one) — at most once per `missRefreshMs` per workspace.
 */
export const segmentNameCache = (reads: SegmentReads, options: { ttlMs?: number; missRefreshMs?: number; now?: () => number; maxWorkspaces?: number } = {}) => {
  const ttlMs = options.ttlMs ?? 60_000;
  const missRefreshMs = options.missRefreshMs ?? 2_000;
  const now = options.now ?? Date.now;
  const maxWorkspaces = options.maxWorkspaces ?? 500;
  const cache = new Map<string, { names: Map<string, string>; loadedAt: number }>();
  const load = async (workspaceId: string) => {
    const names = new Map((await allSegments(reads, workspaceId)).map((meta) => [meta.setId, meta.name ?? meta.setId]));
    if (cache.size >= maxWorkspaces) cache.clear();
    const entry = { names, loadedAt: now() };
    cache.set(workspaceId, entry);
    return entry;
  };
  return {
    async namesOf(workspaceId: string, setIds: readonly string[]): Promise<Map<string, string>> {
      let entry = cache.get(workspaceId);
      const age = entry ? now() - entry.loadedAt : Infinity;
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
): Promise<{ visitor_id: string; segments: { id: string; name: string }[] }> => {
  const visitorId = requireVisitorId(rawVisitorId);
  const sets = await reads.setsOfMember(workspaceId, 'visitor', visitorId, 'segment');
  const ids = sets.map((set) => set.setId).sort();
  const known = ids.length > 0 ? await names.namesOf(workspaceId, ids) : new Map<string, string>();
  return { visitor_id: visitorId, segments: ids.map((id) => ({ id, name: known.get(id) ?? id })) };
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

/** GET /abtasty/segments/{segmentId}/visitors: one page of members. */
export const segmentVisitorsPage = async (
  reads: SegmentReads,
  workspaceId: string,
  segmentId: string | undefined,
  limit: number,
  startKey: Record<string, unknown> | undefined,
) => {
  const set = segmentRef(workspaceId, segmentId);
  const meta = await reads.getSet(set);
  if (!meta) throw new NotFoundError('Segment not found');
  const page = await reads.listMembers(set, limit, startKey);
  return { segment: summary(meta), visitors: page.members.map((member) => member.memberId), nextKey: page.nextKey };
};

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** A cell a spreadsheet would read as a formula (or DDE command): CSV/formula injection. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A free-text CSV cell (the segment name or `?value=`): neutralised with a leading `'` when it
 * starts like a formula, then quoted as RFC 4180 needs. Visitor ids are not text: they match
 * `^[a-z0-9-]{1,32}$` (no function call can be written with those) and AB Tasty matches them byte
 * for byte, so they are written unchanged.
 */
export const csvTextCell = (value: string): string => csvField(FORMULA_START.test(value) ? `'${value}` : value);

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
 * page. `value` is the segment name unless the caller picks one. When the segment is larger than
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
): Promise<{ csv: string; rows: number; nextKey?: Record<string, unknown>; segment: SegmentSummary }> => {
  const set = segmentRef(workspaceId, segmentId);
  const meta = await reads.getSet(set);
  if (!meta) throw new NotFoundError('Segment not found');
  const segment = summary(meta);
  const value = csvTextCell(options.value ?? segment.name);
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
  return { csv: `${lines.join('\n')}\n`, rows, segment, ...(startKey ? { nextKey: startKey } : {}) };
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
