/**
 * `GET /abtasty/visitors/{visitorId}/context`: a visitor's Heap segments as AB Tasty Feature
 * Experimentation (Flagship) context, `{"<partner>::<segment token>": "<value>"}` — the keys
 * Flagship's SDKs build from the UDC rows (`${partner}::${segment}`, flagship-ts-sdk
 * `BucketingManager.getThirdPartySegment`), ready for `visitor.updateContext()`. Only the segments
 * the workspace's destination delivers, under its partner name and tokens, so the context names
 * exactly what the push sends. One Query (the visitor's segments on the `byMember` index).
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import { parseVisitorId, type SegmentReads } from './abtasty';
import { udcSegmentToken } from './abtasty-udc-file';
import { notFound, ok, type Outcome } from './outcomes';

/** Without a `value` on the destination, every context key says "true" (a string: UDC values are strings). */
export const DEFAULT_CONTEXT_VALUE = 'true';

export const NO_DESTINATION = 'No AB Tasty destination is configured for this workspace';

/** Flagship context: one key per delivered segment the visitor is in. */
export type VisitorContext = Record<string, string>;

export const visitorContext = async (
  reads: Pick<SegmentReads, 'setsOfMember'>,
  workspace: WorkspaceRecord,
  rawVisitorId: string | undefined,
): Promise<Outcome<VisitorContext>> => {
  const destination = workspace.abTasty;
  if (!destination) return notFound(NO_DESTINATION);
  const visitorId = parseVisitorId(rawVisitorId);
  if (!visitorId.ok) return visitorId;
  const sets = await reads.setsOfMember(workspace.workspaceId, 'visitor', visitorId.value, 'segment');
  const delivered = destination.segments === 'all' ? undefined : new Set(destination.segments);
  const value = destination.value ?? DEFAULT_CONTEXT_VALUE;
  const ids = sets.map((set) => set.setId).filter((id) => delivered === undefined || delivered.has(id)).sort();
  return ok(Object.fromEntries(ids.map((id) => [`${destination.partner}::${udcSegmentToken(id)}`, value])));
};
