/**
 * The events read API's routes (workspace `apiKey`); logic in domain/events-reads.ts:
 * - GET /v1/users/{brazeId}/events?from=&to=&type=&limit=&cursor= — a user's stored Currents events;
 * - GET /v1/events?type=&from=&to=&limit=&cursor= — a workspace's events of one type in a time range;
 * - GET /v1/currents/rejects?limit=&cursor= — events refused by the envelope check, newest first;
 * - GET /v1/heap/rejects?limit=&cursor= — verified Heap deliveries the hub could not use, newest first.
 * Every route reads `?limit=` first (400 when it is not a positive integer).
 */
import { currentsRejectsPage, heapRejectsPage, typeEventsPage, userEventsPage, type EventsReadDeps } from '../../domain/events-reads';
import type { WorkspaceStore } from '../../domain/ports';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { pagedRoute } from './responses';


export const eventsRoutes = (deps: () => EventsReadDeps, workspaces: () => WorkspaceStore): RouteHandlers<WorkspaceRecord, RouteKeyOf<'eventsApi'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'GET /v1/users/{brazeId}/events': pagedRoute((request, workspace, limit) => userEventsPage(deps(), workspace, request.pathParameters.brazeId, request.query, limit)),
    'GET /v1/events': pagedRoute((request, workspace, limit) => typeEventsPage(deps(), workspace, request.query, request.receivedAt, limit)),
    'GET /v1/currents/rejects': pagedRoute((request, workspace, limit) => currentsRejectsPage(deps(), workspace, { limit, cursor: request.query.cursor })),
    'GET /v1/heap/rejects': pagedRoute((request, workspace, limit) => heapRejectsPage(deps(), workspace, { limit, cursor: request.query.cursor })),
  },
});
