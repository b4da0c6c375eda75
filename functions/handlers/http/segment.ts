/**
 * POST /segment/audiences/{workspaceId} — Segment Engage audiences from Segment's Webhooks (Actions)
 * destination. `Authorization: Bearer <segmentToken>` picks the workspace, which the path must name.
 * Answers: 200 once every audience change is queued (other events counted and ignored); 400 for a
 * body that is not a Segment event or array of events, or a malformed audience event (Segment does
 * not retry a 4xx other than 408/423/429, so the message says what to fix); 401 for a missing or
 * wrong token or another workspace's path; 413 over the body limit; 503 + Retry-After when the
 * queue did not take it whole (Segment retries 5xx).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { QueuePublisher, SigningKeys, WorkspaceStore } from '../../domain/ports';
import { acceptSegmentAudiences, type SegmentAccepted, type SegmentOutcome } from '../../domain/segment-ingest';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { json, type HttpResponse } from '../../shared/http';
import { METRICS } from '../../shared/metric-names';
import { logger, metrics } from '../../shared/powertools';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { ingestRefusal } from './responses';
import { processSigningKeys } from './signing';

/** A queued request: counted, logged (never its content), answered with what became of it. */
const accepted = (workspaceId: string, outcome: SegmentAccepted): HttpResponse => {
  const ignored = outcome.ignored.not_audience + outcome.ignored.other_event + outcome.ignored.no_identifier;
  metrics.addMetric(METRICS.segmentAudienceChangesQueued, MetricUnit.Count, outcome.audienceEvents);
  metrics.addMetric(METRICS.segmentEventsIgnored, MetricUnit.Count, ignored);
  logger.info('segment audiences queued', { workspaceId, events: outcome.events, audienceEvents: outcome.audienceEvents, ignored: outcome.ignored, messages: outcome.messages });
  return json(200, {
    message: 'success',
    events: outcome.events,
    audience_events: outcome.audienceEvents,
    ignored: outcome.ignored,
    imports: outcome.imports.map((entry) => ({ cohort_id: entry.cohortId, import_id: entry.importId, name_import_id: entry.nameImportId })),
  });
};

export const segmentResponse = (workspaceId: string, outcome: SegmentOutcome): HttpResponse =>
  outcome.kind === 'accepted' ? accepted(workspaceId, outcome) : ingestRefusal(outcome);

export const segmentRoutes = (
  publisher: () => QueuePublisher,
  workspaces: () => WorkspaceStore,
  keys: () => SigningKeys = processSigningKeys,
): RouteHandlers<WorkspaceRecord, RouteKeyOf<'segmentIngest'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'POST /segment/audiences/{workspaceId}': async (request, workspace) => {
      const outcome = await acceptSegmentAudiences({ publisher: publisher(), signingKeys: keys() }, workspace, {
        workspaceId: request.pathParameters.workspaceId,
        rawBody: request.rawBody,
        receivedAt: request.receivedAt,
      });
      return segmentResponse(workspace.workspaceId, outcome);
    },
  },
});
