/**
 * `GET /v1/destinations/abtasty/deliveries`: the AB Tasty delivery reports of a workspace (or of one
 * Heap segment), newest first, one page, in the read APIs' snake_case with a signed cursor.
 */
import { SEGMENT_ID_PATTERN } from '../schemas/heap';
import type { WorkspaceRecord } from '../schemas/workspace';
import { invalid, type Outcome } from './outcomes';
import type { CursorCodec, DeliveryReportStore, StoredDelivery } from './ports';
import { pagedRead } from './paging';

export interface DeliveriesQuery {
  /** `?segment_id=`: only the pushes that carried or skipped this Heap segment. */
  readonly segmentId?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** One delivery as the API shows it. */
export const deliveryView = ({ deliveryId, report, omitted }: StoredDelivery) => ({
  delivery_id: deliveryId,
  started_at: report.startedAt,
  finished_at: report.finishedAt,
  outcome: report.outcome,
  status: report.status,
  message: report.message,
  rows: report.rows,
  bytes: report.bytes,
  refused_rows: report.refusedRows,
  account: report.account,
  partner: report.partner,
  segments: report.segments.map(({ id, name, token }) => ({ id, name, token })),
  skipped: report.skipped.map(({ id, reason }) => ({ id, reason })),
  segments_omitted: omitted?.segments ?? 0,
  skipped_omitted: omitted?.skipped ?? 0,
  attempts: report.attempts.map(({ at, step, status, message, verdict }) => ({ at, step, status, message, verdict })),
});

export type DeliveryView = ReturnType<typeof deliveryView>;

/** The page of deliveries the query asks for; a cursor is signed for the workspace and the segment filter. */
export const listDeliveries = async (
  deps: { readonly deliveries: DeliveryReportStore; readonly cursors: CursorCodec },
  workspace: WorkspaceRecord,
  query: DeliveriesQuery,
): Promise<Outcome<{ deliveries: DeliveryView[]; next_cursor: string | null }>> => {
  const { segmentId } = query;
  if (segmentId !== undefined && !SEGMENT_ID_PATTERN.test(segmentId)) {
    return invalid('Invalid segment_id', ['segment_id must be a Heap segment id: 1-128 letters, digits, "_", ".", ":" or "-"']);
  }
  const route = `abtasty-deliveries:${segmentId ?? '*'}`;
  return pagedRead(
    deps.cursors,
    workspace,
    { route, cursor: query.cursor },
    (startKey) => deps.deliveries.list(workspace.workspaceId, { ...(segmentId !== undefined ? { segmentId } : {}), limit: query.limit, ...(startKey ? { startKey } : {}) }),
    (page) => ({ deliveries: page.deliveries.map(deliveryView) }),
  );
};
