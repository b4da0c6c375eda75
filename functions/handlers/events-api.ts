/**
 * Read API over the events table (workspace `apiKey`):
 * - GET /v1/users/{brazeId}/events?from=&to=&type=&limit=&cursor= — a user's stored Currents events,
 *   oldest first; `from` inclusive, `to` exclusive (UNIX seconds or ISO-8601);
 * - GET /v1/events?type=&from=&to=&limit=&cursor= — a workspace's events of one type in a time range
 *   (at most 400 days), oldest first, read day shard by day shard from the byType index;
 * - GET /v1/currents/rejects?limit=&cursor= — events refused by the envelope check, newest first;
 * - GET /v1/heap/rejects?limit=&cursor= — verified Heap deliveries the hub could not use, newest first.
 * Cursors are opaque and signed per workspace and route.
 */
import { itemEvent } from '../adapters/events-store';
import { eventReads, heapRejects, workspaceStore } from '../adapters/stores';
import { MAX_DAYS_PER_PAGE, parseRange, parseTypeRange, requireKeyFits, utcDaysBetween } from '../domain/events-query';
import { cursorScope, requireBearer } from '../shared/auth';
import { decodeCursor, encodeCursor, pageLimit } from '../shared/cursor';
import { BadRequestError, NotFoundError } from '../shared/errors';
import { httpHandler, json } from '../shared/http';

const events = eventReads;

export const handler = httpHandler('eventsApi', async (request) => {
  const workspace = await requireBearer(workspaceStore(), request, 'apiKey');
  const limit = pageLimit(request.query.limit, 100, 1000);

  if (request.path.endsWith('/v1/currents/rejects')) {
    const scope = cursorScope(workspace, 'currentsRejects');
    const page = await events().rejects(workspace.workspaceId, limit, decodeCursor(scope, request.query.cursor));
    return json(200, {
      rejects: page.items.map((item) => ({
        received_at: new Date(item.receivedAt as number).toISOString(),
        index: item.index as number,
        reason: item.reason as string,
        raw: item.raw as string,
        ...(item.truncated ? { truncated: true } : {}),
      })),
      next_cursor: encodeCursor(scope, page.nextKey) ?? null,
    });
  }

  if (request.path.endsWith('/v1/heap/rejects')) {
    const scope = cursorScope(workspace, 'heapRejects');
    const page = await heapRejects().page(workspace.workspaceId, limit, decodeCursor(scope, request.query.cursor));
    return json(200, {
      rejects: page.items.map((item) => ({
        received_at: new Date(item.receivedAt as number).toISOString(),
        reason: item.reason as string,
        raw: item.raw as string,
        ...(item.truncated ? { truncated: true } : {}),
      })),
      next_cursor: encodeCursor(scope, page.nextKey) ?? null,
    });
  }

  if (request.path.endsWith('/v1/events')) {
    // Events of one type in a time range: one Query per UTC day shard of the byType index.
    const type = request.query.type;
    if (!type) throw new BadRequestError('type is required');
    requireKeyFits('type', 'eventType', type);
    const range = parseTypeRange(request.query, request.receivedAt);
    const scope = cursorScope(workspace, `typeEvents:${type}`);
    const cursor = decodeCursor(scope, request.query.cursor) as { day?: string; key?: Record<string, unknown> } | undefined;
    const days = utcDaysBetween(range.fromMs, range.toMs);
    let index = cursor?.day ? days.indexOf(cursor.day) : 0;
    if (index < 0) throw new BadRequestError('Invalid cursor');
    let startKey = cursor?.key;
    const found: unknown[] = [];
    for (let read = 0; index < days.length && read < MAX_DAYS_PER_PAGE && found.length < limit; read += 1) {
      const day = days[index] as string;
      const page = await events().typeEvents(workspace.workspaceId, type, day, range, limit - found.length, startKey);
      found.push(...page.items.map(itemEvent));
      if (page.nextKey) {
        startKey = page.nextKey;
        continue;
      }
      startKey = undefined;
      index += 1;
    }
    const next = index < days.length ? { day: days[index], ...(startKey ? { key: startKey } : {}) } : undefined;
    return json(200, { events: found, next_cursor: encodeCursor(scope, next) ?? null });
  }

  const brazeId = request.pathParameters.brazeId;
  if (!brazeId) throw new NotFoundError('Not found');
  requireKeyFits('brazeId', 'brazeId', brazeId);
  const range = parseRange(request.query);
  const type = request.query.type ? requireKeyFits('type', 'eventType', request.query.type) : undefined;
  const scope = cursorScope(workspace, `userEvents:${brazeId}`);
  const page = await events().userEvents(workspace.workspaceId, brazeId, { ...range, ...(type ? { type } : {}) }, limit, decodeCursor(scope, request.query.cursor));
  return json(200, { events: page.items.map(itemEvent), next_cursor: encodeCursor(scope, page.nextKey) ?? null });
});
