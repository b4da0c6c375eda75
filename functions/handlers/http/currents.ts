/**
 * POST /currents — Braze Currents "Custom HTTP" connector. `Authorization: Bearer <currentsToken>`
 * picks the workspace (an optional `?workspace=<id or name>` must agree with it). Answers: 401 for
 * a missing or wrong token, even on an empty batch (Braze's credential check); 413 over the body
 * limit (Braze splits); 400 only for a body that is not `{"events": [...]}`; 503 + Retry-After when
 * the batch could not be queued whole (Braze retries); otherwise 200 once everything is queued.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ingestCurrents, type CurrentsIngestOutcome } from '../../domain/currents-ingest';
import type { QueuePublisher, WorkspaceStore } from '../../domain/ports';
import type { WorkspaceRecord } from '../../schemas/workspace';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { json, type HttpResponse } from '../../shared/http';
import { METRICS } from '../../shared/metric-names';
import { logger, metrics } from '../../shared/powertools';
import type { RouteHandlers } from '../../shared/router';
import { bearerAuth } from './auth';
import { ingestRefusal } from './responses';

/** A queued batch: counted, its rejects logged (never their content), answered 200. */
const queued = (workspaceId: string, outcome: Extract<CurrentsIngestOutcome, { kind: 'queued' }>): HttpResponse => {
  metrics.addMetric(METRICS.currentsEventsQueued, MetricUnit.Count, outcome.accepted);
  if (outcome.rejected > 0) {
    metrics.addMetric(METRICS.currentsEventsRejected, MetricUnit.Count, outcome.rejected);
    logger.warn('currents events rejected', { workspaceId, rejected: outcome.rejected });
  }
  return json(200, { message: 'success', events: outcome.accepted, rejected: outcome.rejected });
};

const currentsResponse = (workspaceId: string, outcome: CurrentsIngestOutcome): HttpResponse => {
  if (outcome.kind === 'credential-check') return json(200, { message: 'success', events: 0 });
  return outcome.kind === 'queued' ? queued(workspaceId, outcome) : ingestRefusal(outcome);
};

export const currentsRoutes = (publisher: () => QueuePublisher, workspaces: () => WorkspaceStore): RouteHandlers<WorkspaceRecord, RouteKeyOf<'currentsIngest'>> => ({
  authenticate: { bearer: bearerAuth(workspaces) },
  routes: {
    'POST /currents': async (request, workspace) => {
      const outcome = await ingestCurrents({ publisher: publisher() }, workspace, { rawBody: request.rawBody, receivedAt: request.receivedAt, namedWorkspace: request.query.workspace });
      return currentsResponse(workspace.workspaceId, outcome);
    },
  },
});
