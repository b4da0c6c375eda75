/**
 * The read API's routes (Bearer workspace `apiKey`): cohorts, a cohort's members, an import report,
 * a user, AB Tasty delivery reports, the directory imports. Every route reads `?limit=` first (400 when it is not a positive integer), then one domain
 * function (domain/cohort-reads.ts) whose outcome is the answer.
 */
import { listDeliveries } from '../../domain/abtasty-deliveries';
import { listWebhookDeliveries } from '../../domain/change-webhook-reads';
import { findUser, getImportReport, listCohortMembers, listCohorts, parseUserQuery, type ReadDeps } from '../../domain/cohort-reads';
import { listCohortImports } from '../../domain/cohort-imports';
import { listDirectoryImports, type DirectoryImportReadDeps } from '../../domain/directory-import-reports';
import type { WorkspaceStore } from '../../domain/ports';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { pagedRoute } from './responses';


export const readApiRoutes = (
  deps: () => ReadDeps,
  workspaces: () => WorkspaceStore,
  directoryImports: () => DirectoryImportReadDeps,
): RouteHandlers<WorkspaceRecord, RouteKeyOf<'readApi'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'GET /v1/cohorts': pagedRoute((request, workspace, limit) => listCohorts(deps(), workspace, { limit, cursor: request.query.cursor })),
    'GET /v1/cohorts/{cohortId}/members': pagedRoute((request, workspace, limit) =>
      listCohortMembers(deps(), workspace, request.pathParameters.cohortId ?? '', { limit, cursor: request.query.cursor }),
    ),
    'GET /v1/cohorts/{cohortId}/imports/{importId}': pagedRoute((request, workspace) =>
      getImportReport(deps(), workspace, request.pathParameters.cohortId ?? '', request.pathParameters.importId ?? ''),
    ),
    'GET /v1/cohorts/{cohortId}/imports': pagedRoute((request, workspace, limit) =>
      listCohortImports(deps(), workspace, request.pathParameters.cohortId ?? '', { limit, cursor: request.query.cursor }),
    ),
    'GET /v1/directory/imports': pagedRoute((request, workspace, limit) => listDirectoryImports(directoryImports(), workspace, { limit, cursor: request.query.cursor })),
    'GET /v1/users': pagedRoute(async (request, workspace) => {
      const query = parseUserQuery(request.query);
      return query.ok ? findUser(deps(), workspace, query.value) : query;
    }),
    'GET /v1/destinations/abtasty/deliveries': pagedRoute((request, workspace, limit) =>
      listDeliveries(deps(), workspace, { ...(request.query.segment_id !== undefined ? { segmentId: request.query.segment_id } : {}), limit, ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}) }),
    ),
    'GET /v1/destinations/webhook/deliveries': pagedRoute((request, workspace, limit) =>
      listWebhookDeliveries(deps(), workspace, { limit, ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}) }),
    ),
  },
});
