/**
 * `GET /v1/cohorts/{cohortId}/imports`: a cohort's import reports, newest first, paged with signed
 * cursors: what the console charts (received, matched, unmatched by reason over time).
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { cohortRef } from './cohort-matching';
import { findCohort, reportView, type PageRequest, type ReadDeps } from './cohort-reads';
import { pagedRead } from './paging';

export const listCohortImports = async (deps: ReadDeps, workspace: WorkspaceRecord, cohortId: string, page: PageRequest) => {
  const cohort = await findCohort(deps, workspace, cohortId);
  if (!cohort.ok) return cohort;
  return pagedRead(
    deps.cursors,
    workspace,
    { route: `cohorts/${cohortId}/imports`, cursor: page.cursor },
    (startKey) => deps.reports.list(cohortRef(workspace.workspaceId, cohortId), page.limit, startKey),
    (result) => ({ cohort_id: cohortId, imports: result.items.map((report) => reportView(report, cohortId, report.importId)) }),
  );
};
