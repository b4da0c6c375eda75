/**
 * `GET /v1/cohorts/{cohortId}/imports`: a cohort's import reports, newest first, paged with signed
 * cursors: what the console charts (received, matched, unmatched by reason over time).
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { cohortRef } from './cohort-matching';
import { findCohort, reportView, type PageRequest, type ReadDeps } from './cohort-reads';
import { INVALID_CURSOR, invalid, ok } from './outcomes';

export const listCohortImports = async (deps: ReadDeps, workspace: WorkspaceRecord, cohortId: string, page: PageRequest) => {
  const cohort = await findCohort(deps, workspace, cohortId);
  if (!cohort.ok) return cohort;
  const route = `cohorts/${cohortId}/imports`;
  const cursor = await deps.cursors.decode(workspace, route, page.cursor);
  if (!cursor.ok) return invalid(INVALID_CURSOR);
  const result = await deps.reports.list(cohortRef(workspace.workspaceId, cohortId), page.limit, cursor.key);
  return ok({
    cohort_id: cohortId,
    imports: result.items.map((report) => reportView(report, cohortId, report.importId)),
    next_cursor: (await deps.cursors.encode(workspace, route, result.nextKey)) ?? null,
  });
};
