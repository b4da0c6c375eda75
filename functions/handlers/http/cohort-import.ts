/**
 * POST /partners/{partner}/cohorts and POST /partners/{partner}/cohorts/users — Braze-compatible
 * partner cohort import, in Braze's convention: 201 `{"message":"success","import_id"}` once queued;
 * 400/401 `{"message","errors":[message]}` in Braze's words; 429 + Retry-After; 503 + Retry-After
 * when the request could not be queued whole; `X-RateLimit-*` on every answer after counting.
 */
import { authenticateImport, type ImportAuthOutcome, type ImportCaller } from '../../domain/cohort-import-auth';
import { acceptCohortChanges, acceptCohortUpsert, type ImportOutcome, type IngestDeps } from '../../domain/cohort-ingest';
import { systemClock, type Clock, type RateLimitDecision, type WorkspaceStore } from '../../domain/ports';
import { RateLimitedError } from '../../shared/errors';
import type { RouteKeyOf } from '../../shared/definitions/routes';
import { json, refusal, refusalOf, type HttpRequest, type HttpResponse } from '../../shared/http';
import type { Authenticator, RouteHandlers } from '../../shared/router';
import { messageTooLarge, queueUnavailable, refused } from './responses';

export const rateLimitHeaders = (decision: RateLimitDecision): Record<string, string> => ({
  'X-RateLimit-Limit': String(decision.limit),
  'X-RateLimit-Remaining': String(decision.remaining),
  'X-RateLimit-Reset': String(decision.resetAt),
});

/** A refused authentication, in Braze's words (an unknown partner name is a route that does not exist). */
export const importAuthRefusal = (outcome: Extract<ImportAuthOutcome, { ok: false }>): HttpResponse => {
  if (outcome.refusal === 'unknown-partner') return refusal(404, 'Not found');
  return refusal(outcome.refusal === 'invalid-body' ? 400 : 401, outcome.message, { errors: [outcome.message] });
};

/** Braze body-credentials middleware (the `cohortBody` presentation of `dataImportKey`). */
export const cohortBodyAuth =
  (store: () => WorkspaceStore, clock: Clock = systemClock): Authenticator<ImportCaller> =>
  async (request) => {
    const outcome = await authenticateImport(store(), request.pathParameters.partner ?? '', request.rawBody, clock);
    return outcome.ok ? { ok: true, auth: outcome.caller } : { ok: false, response: importAuthRefusal(outcome) };
  };

/** An import outcome as Braze answers it, with the rate-limit headers. */
export const importResponse = (outcome: ImportOutcome): HttpResponse => {
  const headers = rateLimitHeaders(outcome.rateLimit);
  switch (outcome.kind) {
    case 'rate-limited':
      return refusalOf(new RateLimitedError(outcome.retryAfterSeconds, headers));
    case 'invalid':
      return { ...refused(outcome.refusal), headers };
    case 'too-large':
      return messageTooLarge(headers);
    case 'unavailable':
      return queueUnavailable(outcome.publish, headers);
    case 'accepted':
      return json(201, { message: 'success', ...(outcome.importId ? { import_id: outcome.importId } : {}) }, headers);
  }
};

const importRequest = (request: HttpRequest) => ({ partner: request.pathParameters.partner ?? '', receivedAt: request.receivedAt });

export const cohortImportRoutes = (deps: () => IngestDeps, workspaces: () => WorkspaceStore): RouteHandlers<ImportCaller, RouteKeyOf<'cohortIngest'>> => ({
  authenticate: { cohortBody: cohortBodyAuth(workspaces) },
  routes: {
    'POST /partners/{partner}/cohorts': async (request, caller) => importResponse(await acceptCohortUpsert(deps(), caller, importRequest(request))),
    'POST /partners/{partner}/cohorts/users': async (request, caller) => importResponse(await acceptCohortChanges(deps(), caller, importRequest(request))),
  },
});
