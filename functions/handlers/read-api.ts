/**
 * The hub's read API (Bearer workspace `apiKey`): GET /v1/cohorts, /v1/cohorts/{cohortId}/members,
 * /v1/cohorts/{cohortId}/imports/{importId} and /v1/users. Read-only; logic in domain/cohort-reads.ts.
 */
import { directoryStoreFor, importReports, profileReader, setReads, workspaceStore } from '../adapters/stores';
import { findUser, getImportReport, listCohortMembers, listCohorts, parseUserQuery, type ReadDeps } from '../domain/cohort-reads';
import { requireBearer } from '../shared/auth';
import { pageLimit } from '../shared/cursor';
import { NotFoundError } from '../shared/errors';
import { httpHandler, json } from '../shared/http';

let deps: ReadDeps | undefined;
const readDeps = (): ReadDeps =>
  (deps ??= {
    sets: setReads(),
    reports: importReports(),
    profiles: profileReader(),
    claims: directoryStoreFor(),
  });

export const handler = httpHandler('readApi', async (request) => {
  const workspace = await requireBearer(workspaceStore(), request, 'apiKey');
  const page = { limit: pageLimit(request.query.limit, 100, 1000), cursor: request.query.cursor };
  const { cohortId, importId } = request.pathParameters;
  const path = request.path.replace(/\/+$/, '');
  if (path.endsWith('/v1/users')) return json(200, await findUser(readDeps(), workspace, parseUserQuery(request.query)));
  if (path.endsWith('/v1/cohorts')) return json(200, await listCohorts(readDeps(), workspace, page));
  if (cohortId !== undefined && importId !== undefined) return json(200, await getImportReport(readDeps(), workspace, cohortId, importId));
  if (cohortId !== undefined && path.endsWith('/members')) return json(200, await listCohortMembers(readDeps(), workspace, cohortId, page));
  throw new NotFoundError('Not found');
});
