/**
 * The request side of Segment Engage audiences (`POST /segment/audiences/{workspaceId}`), once the
 * bearer `segmentToken` picked the workspace: the path must name that workspace; the body is read
 * and mapped (segment-audiences.ts) and queued whole on the cohort import queue — or refused with
 * nothing queued. No DynamoDB work happens here beyond the credential check.
 */
import type { WorkspaceRecord } from '../schemas/workspace';
import type { Refusal } from './outcomes';
import { importIdScope } from './import-ids';
import type { PublishOutcome, QueuePublisher, SigningKeys } from './ports';
import { collapseAudienceChanges, planSegmentMessages, readSegmentBody, type IgnoredReason, type SegmentImport } from './segment-audiences';

export interface SegmentRequest {
  /** The `{workspaceId}` of the path, which must be the token's workspace. */
  readonly workspaceId: string | undefined;
  readonly rawBody: string;
  /** When the request was received, epoch ms: the import reports' time and the bound on event times. */
  readonly receivedAt: number;
}

export interface SegmentAccepted {
  readonly kind: 'accepted';
  readonly events: number;
  /** Audience membership changes queued (before collapsing per identifier). */
  readonly audienceEvents: number;
  readonly ignored: Record<IgnoredReason, number>;
  readonly imports: SegmentImport[];
  readonly messages: number;
}

/** What became of an authenticated Segment POST. */
export type SegmentOutcome =
  /** The path names another workspace than the token's (or none that exists): refused like a wrong token. */
  | { readonly kind: 'wrong-workspace' }
  | { readonly kind: 'invalid'; readonly refusal: Refusal }
  /** One change cannot fit a queue message (cannot happen within the field limits). */
  | { readonly kind: 'too-large' }
  /** The queue did not take the whole request: Segment retries it (safe: every change is versioned). */
  | { readonly kind: 'unavailable'; readonly publish: Extract<PublishOutcome, { ok: false }> }
  | SegmentAccepted;

/** Accepts one Segment POST body for an authenticated workspace: queues every audience change of it, or says why not. */
export const acceptSegmentAudiences = async (deps: { publisher: QueuePublisher; signingKeys: SigningKeys }, workspace: WorkspaceRecord, request: SegmentRequest): Promise<SegmentOutcome> => {
  if (request.workspaceId !== workspace.workspaceId) return { kind: 'wrong-workspace' };
  const body = readSegmentBody(request.rawBody, request.receivedAt);
  if (!body.ok) return { kind: 'invalid', refusal: body };
  const ids = importIdScope(await deps.signingKeys.forWorkspace(workspace));
  const planned = planSegmentMessages(workspace, ids, request.receivedAt, collapseAudienceChanges(body.value.changes), deps.publisher.fits);
  if (!planned) return { kind: 'too-large' };
  if (planned.bodies.length > 0) {
    const published = await deps.publisher.publishAll(planned.bodies);
    if (!published.ok) return { kind: 'unavailable', publish: published };
  }
  const { events, changes, ignored } = body.value;
  return { kind: 'accepted', events, audienceEvents: changes.length, ignored, imports: planned.imports, messages: planned.bodies.length };
};
