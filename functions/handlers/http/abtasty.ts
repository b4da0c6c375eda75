/**
 * The AB Tasty pull API's routes (Bearer abTastyToken); logic in domain/abtasty.ts:
 * - GET /abtasty/segments — non-empty segments with counts and last sync;
 * - GET /abtasty/visitors/{visitorId}/segments — the hot path (one Query), ETag + Cache-Control;
 * - GET /abtasty/visitors/{visitorId}/context — the same visitor as Flagship context (domain/abtasty-context.ts), ETag;
 * - GET /abtasty/segments/{segmentId}/visitors?limit=&cursor= — members, paged;
 * - GET /abtasty/segments/{segmentId}/udc.csv?cursor=&value= — Universal Data Connector CSV.
 */
import { etagMatches, etagOf, listActiveSegments, segmentUdcCsvPart, segmentVisitorsPage, visitorSegments, type SegmentNames, type UdcCsv } from '../../domain/abtasty';
import { visitorContext } from '../../domain/abtasty-context';
import type { CursorCodec, SegmentReads, WorkspaceStore } from '../../domain/ports';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { json, type HttpResponse } from '../../shared/http';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { answer, limitOf } from './responses';

export interface AbTastyDeps {
  readonly reads: SegmentReads;
  readonly names: SegmentNames;
  readonly cursors: CursorCodec;
}

/** Visitors' segments may be cached briefly by the caller, then revalidated with If-None-Match. */
const VISITOR_CACHE_CONTROL = 'private, max-age=30';

/** A visitor's answer (segments or context) with a strong ETag; 304 when If-None-Match names it. */
const withEtag = (body: unknown, ifNoneMatch: string | undefined): HttpResponse => {
  const text = JSON.stringify(body);
  const etag = etagOf(text);
  // Vary: the answer depends on the workspace the token picks, so shared caches must key on it.
  const headers = { ETag: etag, 'Cache-Control': VISITOR_CACHE_CONTROL, Vary: 'Authorization' };
  if (etagMatches(ifNoneMatch, etag)) return { status: 304, headers };
  return { status: 200, text, headers: { ...headers, 'Content-Type': 'application/json' } };
};

const csvResponse = (part: UdcCsv & { nextCursor: string | undefined }): HttpResponse => ({
  status: 200,
  text: part.csv,
  headers: {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="heap-segment-${part.segment.id}.csv"`,
    'X-Row-Count': String(part.rows),
    // Very large segments come in parts: fetch again with ?cursor=<X-Next-Cursor> and append (no header row).
    ...(part.nextCursor ? { 'X-Next-Cursor': part.nextCursor } : {}),
  },
});

export const abTastyRoutes = (deps: () => AbTastyDeps, workspaces: () => WorkspaceStore): RouteHandlers<WorkspaceRecord, RouteKeyOf<'abTastyApi'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'GET /abtasty/segments': async (_request, workspace) => json(200, await listActiveSegments(deps().reads, workspace.workspaceId)),
    'GET /abtasty/visitors/{visitorId}/segments': async (request, workspace) =>
      answer(await visitorSegments(deps().reads, deps().names, workspace.workspaceId, request.pathParameters.visitorId), (body) =>
        withEtag(body, request.headers['if-none-match']),
      ),
    'GET /abtasty/visitors/{visitorId}/context': async (request, workspace) =>
      answer(await visitorContext(deps().reads, workspace, request.pathParameters.visitorId), (body) => withEtag(body, request.headers['if-none-match'])),
    'GET /abtasty/segments/{segmentId}/visitors': async (request, workspace) => {
      const limit = limitOf(request);
      if (!limit.ok) return limit.response;
      return answer(await segmentVisitorsPage(deps(), workspace, request.pathParameters.segmentId, { limit: limit.limit, cursor: request.query.cursor }));
    },
    'GET /abtasty/segments/{segmentId}/udc.csv': async (request, workspace) =>
      answer(await segmentUdcCsvPart(deps(), workspace, request.pathParameters.segmentId, { value: request.query.value, cursor: request.query.cursor }), csvResponse),
  },
});
