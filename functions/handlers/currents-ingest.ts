/**
 * POST /currents — Braze Currents "Custom HTTP" connector. `Authorization: Bearer <currentsToken>`
 * picks the workspace (an optional `?workspace=<id or name>` must agree with it). Answers: 401 for
 * a missing or wrong token, even on an empty batch (Braze's credential check); 413 over the body
 * limit (Braze splits); 400 only for a body that is not `{"events": [...]}`; 503 + Retry-After when
 * the batch could not be queued whole (Braze retries); otherwise 200 once everything is queued.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sqsSender } from '../adapters/sqs-sender';
import { workspaceStore } from '../adapters/stores';
import { ingestCurrents } from '../domain/currents-ingest';
import { requireBearer } from '../shared/auth';
import { queueUrl, settings } from '../shared/config';
import { UnauthorizedError } from '../shared/errors';
import { httpHandler, json } from '../shared/http';
import { METRICS } from '../shared/metric-names';
import { logger, metrics } from '../shared/powertools';

export const handler = httpHandler(
  'currentsIngest',
  async (request) => {
    const workspace = await requireBearer(workspaceStore(), request, 'currentsToken');
    const named = request.query.workspace;
    if (named !== undefined && named !== workspace.workspaceId && named !== workspace.name) throw new UnauthorizedError();
    const result = await ingestCurrents({ sender: sqsSender(), queueUrl: queueUrl('currents') }, workspace.workspaceId, request.rawBody, request.receivedAt);
    if (result.credentialCheck) return json(200, { message: 'success', events: 0 });
    metrics.addMetric(METRICS.currentsEventsQueued, MetricUnit.Count, result.accepted);
    if (result.rejected > 0) {
      metrics.addMetric(METRICS.currentsEventsRejected, MetricUnit.Count, result.rejected);
      logger.warn('currents events rejected', { workspaceId: workspace.workspaceId, rejected: result.rejected });
    }
    return json(200, { message: 'success', events: result.accepted, rejected: result.rejected });
  },
  { maxBodyBytes: settings().MAX_BODY_BYTES },
);
