/**
 * The trace API's routes (docs/membership-history.md): a cohort member's history (apiKey), a
 * segment visitor's history (abTastyToken), and the trace of one identifier in one set (apiKey).
 * Logic in domain/membership-trace.ts.
 */
import { memberHistory, parseTraceQuery, traceIdentifier, type TraceDeps } from '../../domain/membership-trace';
import type { WorkspaceStore } from '../../domain/ports';
import { normaliseVisitorId } from '../../domain/visitor-ids';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { refusal } from '../../shared/http';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { answer, pagedRoute } from './responses';

export const traceApiRoutes = (deps: () => TraceDeps, workspaces: () => WorkspaceStore): RouteHandlers<WorkspaceRecord, RouteKeyOf<'traceApi'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'GET /v1/cohorts/{cohortId}/members/{brazeId}/history': pagedRoute((request, workspace, limit) =>
      memberHistory(deps(), workspace, { workspaceId: workspace.workspaceId, kind: 'cohort', setId: request.pathParameters.cohortId ?? '' }, request.pathParameters.brazeId ?? '', {
        limit,
        cursor: request.query.cursor,
      }),
    ),
    'GET /abtasty/segments/{segmentId}/visitors/{visitorId}/history': async (request, workspace) => {
      const visitor = normaliseVisitorId(request.pathParameters.visitorId);
      if (visitor === undefined) return refusal(400, 'Invalid visitor id');
      return pagedRoute((inner, ws, limit) =>
        memberHistory(deps(), ws, { workspaceId: ws.workspaceId, kind: 'segment', setId: inner.pathParameters.segmentId ?? '' }, visitor, { limit, cursor: inner.query.cursor }),
      )(request, workspace);
    },
    'GET /v1/trace': async (request, workspace) => {
      const query = parseTraceQuery(request.query);
      return answer(query.ok ? await traceIdentifier(deps(), workspace, query.value) : query);
    },
  },
});
