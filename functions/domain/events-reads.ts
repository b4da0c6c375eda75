/**
 * The events read API over stored Currents events and the rejects stores (workspace `apiKey`):
 * - a user's events, oldest first; `from` inclusive, `to` exclusive (UNIX seconds or ISO-8601);
 * - a workspace's events of one type in a time range (at most 400 days), oldest first, read day
 *   shard by day shard from the byType index;
 * - events refused by the Currents envelope check, and verified Heap deliveries the hub could not
 *   use, newest first.
 * Pages continue with cursors signed per workspace and route (the `CursorCodec` port).
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { MAX_DAYS_PER_PAGE, keyFits, parseRange, parseTypeRange, utcDaysBetween, type TimeRange } from './events-query';
import { INVALID_CURSOR, invalid, notFound, ok, type Outcome } from './outcomes';
import type { CursorCodec, EventReads, Page } from './ports';
import { pagedRead } from './paging';

export interface EventsReadDeps {
  readonly reads: EventReads;
  readonly cursors: CursorCodec;
}

export interface PageQuery {
  readonly limit: number;
  readonly cursor: string | undefined;
}

type RejectPage = { rejects: Record<string, unknown>[]; next_cursor: string | null };

/** A page of rejects, read and shown as `view` says, continued with a cursor signed for `route`. */
const rejectsPage = async (
  deps: EventsReadDeps,
  workspace: WorkspaceRecord,
  route: string,
  page: PageQuery,
  read: (startKey: Record<string, unknown> | undefined) => Promise<Page<Record<string, unknown>>>,
  view: (item: Record<string, unknown>) => Record<string, unknown>,
): Promise<Outcome<RejectPage>> => {
  return pagedRead(deps.cursors, workspace, { route, cursor: page.cursor }, read, (result) => ({ rejects: result.items.map(view) }));
};

const receivedAt = (item: Record<string, unknown>) => new Date(item.receivedAt as number).toISOString();

/** Currents events refused by the envelope check, newest first. */
export const currentsRejectsPage = (deps: EventsReadDeps, workspace: WorkspaceRecord, page: PageQuery) =>
  rejectsPage(deps, workspace, 'currentsRejects', page, (startKey) => deps.reads.currentsRejects(workspace.workspaceId, page.limit, startKey), (item) => ({
    received_at: receivedAt(item),
    index: item.index,
    reason: item.reason,
    raw: item.raw,
    ...(item.truncated ? { truncated: true } : {}),
  }));

/** Verified Heap deliveries the hub could not use, newest first. */
export const heapRejectsPage = (deps: EventsReadDeps, workspace: WorkspaceRecord, page: PageQuery) =>
  rejectsPage(deps, workspace, 'heapRejects', page, (startKey) => deps.reads.heapRejects(workspace.workspaceId, page.limit, startKey), (item) => ({
    received_at: receivedAt(item),
    reason: item.reason,
    raw: item.raw,
    ...(item.truncated ? { truncated: true } : {}),
  }));

/** Where a type query stands: the day shard to read and the key to continue it from. */
interface ShardPosition {
  readonly index: number;
  readonly startKey: Record<string, unknown> | undefined;
}

/** Reads day shards from `from` until the page is full, MAX_DAYS_PER_PAGE shards are read, or the range ends. */
const readDayShards = async (deps: EventsReadDeps, workspaceId: string, type: string, range: TimeRange, days: readonly string[], limit: number, from: ShardPosition) => {
  const found: unknown[] = [];
  let { index, startKey } = from;
  for (let read = 0; index < days.length && read < MAX_DAYS_PER_PAGE && found.length < limit; read += 1) {
    const page = await deps.reads.typeEvents(workspaceId, type, days[index] as string, range, limit - found.length, startKey);
    found.push(...page.items);
    startKey = page.nextKey;
    if (!page.nextKey) index += 1;
  }
  return { found, next: { index, startKey } };
};

/** The type query's validated input: the type, its range and the shard to start from. */
const typeQuery = async (deps: EventsReadDeps, workspace: WorkspaceRecord, query: Readonly<Record<string, string>>, nowMs: number) => {
  if (!query.type) return invalid('type is required');
  const type = keyFits('type', 'eventType', query.type);
  if (!type.ok) return type;
  const range = parseTypeRange(query, nowMs);
  if (!range.ok) return range;
  const route = `typeEvents:${type.value}`;
  const cursor = await deps.cursors.decode(workspace, route, query.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  const position = cursor.key as { day?: string; key?: Record<string, unknown> } | undefined;
  const days = utcDaysBetween(range.value.fromMs, range.value.toMs);
  const index = position?.day ? days.indexOf(position.day) : 0;
  return index < 0 ? invalid(INVALID_CURSOR) : ok({ type: type.value, range: range.value, route, days, start: { index, startKey: position?.key } });
};

/** Events of one type in a time range: one Query per UTC day shard of the byType index. */
export const typeEventsPage = async (deps: EventsReadDeps, workspace: WorkspaceRecord, query: Readonly<Record<string, string>>, nowMs: number, limit: number) => {
  const input = await typeQuery(deps, workspace, query, nowMs);
  if (!input.ok) return input;
  const { type, range, route, days, start } = input.value;
  const { found, next } = await readDayShards(deps, workspace.workspaceId, type, range, days, limit, start);
  const nextKey = next.index < days.length ? { day: days[next.index], ...(next.startKey ? { key: next.startKey } : {}) } : undefined;
  return ok({ events: found, next_cursor: (await deps.cursors.encode(workspace, route, nextKey)) ?? null });
};

/** A user's stored events in a time range, optionally of one type, oldest first. */
export const userEventsPage = async (deps: EventsReadDeps, workspace: WorkspaceRecord, rawBrazeId: string | undefined, query: Readonly<Record<string, string>>, limit: number) => {
  if (!rawBrazeId) return notFound('Not found');
  const brazeId = keyFits('brazeId', 'brazeId', rawBrazeId);
  if (!brazeId.ok) return brazeId;
  const range = parseRange(query);
  if (!range.ok) return range;
  const type = query.type ? keyFits('type', 'eventType', query.type) : undefined;
  if (type && !type.ok) return type;
  const filter = { ...range.value, ...(type ? { type: type.value } : {}) };
  const read = (startKey: Record<string, unknown> | undefined) => deps.reads.userEvents(workspace.workspaceId, brazeId.value, filter, limit, startKey);
  return pagedRead(deps.cursors, workspace, { route: `userEvents:${brazeId.value}`, cursor: query.cursor }, read, (page) => ({ events: page.items }));
};
