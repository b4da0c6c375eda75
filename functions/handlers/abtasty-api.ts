/**
 * The AB Tasty pull API (Bearer abTastyToken), four routes in one function:
 * - GET /abtasty/segments — non-empty segments with counts and last sync;
 * - GET /abtasty/visitors/{visitorId}/segments — the hot path (one Query), ETag + Cache-Control;
 * - GET /abtasty/segments/{segmentId}/visitors?limit=&cursor= — members, paged;
 * - GET /abtasty/segments/{segmentId}/udc.csv?cursor=&value= — Universal Data Connector CSV.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { setReads, workspaceStore } from '../adapters/stores';
import {
  etagMatches,
  etagOf,
  listActiveSegments,
  segmentNameCache,
  segmentUdcCsv,
  segmentVisitorsPage,
  visitorSegments,
  type SegmentNames,
} from '../domain/abtasty';
import { cursorScope, requireBearer } from '../shared/auth';
import { decodeCursor, encodeCursor, pageLimit } from '../shared/cursor';
import { BadRequestError, NotFoundError } from '../shared/errors';
import { httpHandler, json, type HttpRequest } from '../shared/http';

let names: SegmentNames | undefined;
const segmentNames = () => (names ??= segmentNameCache(setReads()));

/** Visitors' segments may be cached briefly by the caller, then revalidated with If-None-Match. */
const VISITOR_CACHE_CONTROL = 'private, max-age=30';

const workspaceOf = (request: HttpRequest) => requireBearer(workspaceStore(), request, 'abTastyToken');

const listSegments = httpHandler('abTastySegments', async (request) => {
  const workspace = await workspaceOf(request);
  return json(200, await listActiveSegments(setReads(), workspace.workspaceId));
});

const visitorSegmentsRoute = httpHandler('abTastyVisitorSegments', async (request) => {
  const workspace = await workspaceOf(request);
  const body = await visitorSegments(setReads(), segmentNames(), workspace.workspaceId, request.pathParameters.visitorId);
  const text = JSON.stringify(body);
  const etag = etagOf(text);
  // Vary: the answer depends on the workspace the token picks, so shared caches must key on it.
  const headers = { ETag: etag, 'Cache-Control': VISITOR_CACHE_CONTROL, Vary: 'Authorization' };
  if (etagMatches(request.headers['if-none-match'], etag)) return { status: 304, headers };
  return { status: 200, text, headers: { ...headers, 'Content-Type': 'application/json' } };
});

const segmentVisitors = httpHandler('abTastySegmentVisitors', async (request) => {
  const workspace = await workspaceOf(request);
  const segmentId = request.pathParameters.segmentId;
  const scope = cursorScope(workspace, `abtasty-visitors:${segmentId ?? ''}`);
  const page = await segmentVisitorsPage(
    setReads(),
    workspace.workspaceId,
    segmentId,
    pageLimit(request.query.limit, 100, 1000),
    decodeCursor(scope, request.query.cursor),
  );
  return json(200, { segment: page.segment, visitors: page.visitors, next_cursor: encodeCursor(scope, page.nextKey) ?? null });
});

const udcCsv = httpHandler('abTastyUdcCsv', async (request) => {
  const workspace = await workspaceOf(request);
  const segmentId = request.pathParameters.segmentId;
  const value = request.query.value;
  if (value !== undefined && (value.length === 0 || value.length > 256)) throw new BadRequestError('value must be 1 to 256 characters');
  const scope = cursorScope(workspace, `abtasty-udc:${segmentId ?? ''}`);
  const result = await segmentUdcCsv(setReads(), workspace.workspaceId, segmentId, {
    ...(value !== undefined ? { value } : {}),
    startKey: decodeCursor(scope, request.query.cursor),
  });
  const next = encodeCursor(scope, result.nextKey);
  return {
    status: 200,
    text: result.csv,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="heap-segment-${result.segment.id}.csv"`,
      'X-Row-Count': String(result.rows),
      // Very large segments come in parts: fetch again with ?cursor=<X-Next-Cursor> and append (no header row).
      ...(next ? { 'X-Next-Cursor': next } : {}),
    },
  };
});

const notFound = httpHandler('abTastyApi', () => Promise.reject(new NotFoundError('Not found')));

const ROUTES: Record<string, typeof listSegments> = {
  '/abtasty/segments': listSegments,
  '/abtasty/visitors/{visitorId}/segments': visitorSegmentsRoute,
  '/abtasty/segments/{segmentId}/visitors': segmentVisitors,
  '/abtasty/segments/{segmentId}/udc.csv': udcCsv,
};

/** One Lambda, routed by the API Gateway resource path. */
export const handler = (event: APIGatewayProxyEvent, context?: Context) => (ROUTES[event.resource] ?? notFound)(event, context);
