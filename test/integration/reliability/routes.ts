/**
 * The reliability suite's view of the hub's public routes. Which routes exist, who serves them,
 * which credential each accepts and how it refuses all come from the route table and the credential
 * registry (functions/shared/definitions/): a new route or credential kind cannot be forgotten. This
 * file adds only what is test-specific: how to build a well-formed request per route. Used by the
 * fuzz, security and load suites.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { signHeapBody } from '../../../functions/domain/heap-signature';
import type { WorkspaceCredentials } from '../../../functions/schemas/workspace';
import type { FunctionDefinition } from '../../../functions/shared/definitions/functions';
import { ROUTES, functionOf, refusalStatus, routeAuth, routeKey, type RouteAuth, type RouteDefinition, type RouteKey } from '../../../functions/shared/definitions/routes';
import { loadHandler, type HttpLambda } from '../../../scripts/local/handlers';
import { lambdaContext } from '../../../scripts/local/lambda-context';

export type { RouteAuth, RouteKey };

/** Every public HTTP route of the hub, from the route table. */
export const publicRoutes = (routes: readonly RouteDefinition[] = ROUTES): { key: RouteKey; method: string; path: string; definition: FunctionDefinition; route: RouteDefinition }[] =>
  routes.map((route) => ({ key: routeKey(route), method: route.method, path: route.path, definition: functionOf(route), route }));

export interface RouteRequest {
  readonly pathParameters: Record<string, string>;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Identifiers of things that exist in a workspace (for well-formed requests). */
export interface Fixtures {
  cohortId: string;
  importId: string;
  segmentId: string;
  visitorId: string;
  externalId: string;
  /** A Braze user id (24 hex) for Currents events. */
  brazeId: string;
}

export interface RouteSpec {
  /** From the route table: the credential the route accepts and how a request presents it. */
  readonly auth: RouteAuth;
  /** Status of an authentication refusal in this route's convention (from the credential registry). */
  readonly refusal: number | undefined;
  /** Status when no credential is presented at all, where the convention differs (Heap: 400). */
  readonly missingRefusal?: number;
  /** A well-formed, authenticated request for workspace `ws`. */
  readonly valid: (ws: WorkspaceCredentials, fixtures: Fixtures) => RouteRequest;
}

/** A Heap sync page, signed now with `secret`. */
export const heapSyncBody = (segmentId: string, add: string[], remove: string[] = [], page = 1, total = 1, task: string = randomUUID()) =>
  JSON.stringify({
    action_type: 'segment.users.sync',
    id_token: 'fuzz-token',
    customer_config: { fields: [] },
    data: {
      segment: { id: Number(segmentId), name: `Segment ${segmentId}` },
      sync_info: { page_number: page, total_pages: total, sync_task_id: task },
      add: add.map((id) => ({ id })),
      remove: remove.map((id) => ({ id })),
    },
  });

export const heapHeaders = (secret: string, body: string) => ({ 'heap-hash': signHeapBody(secret, body, Date.now()) });

export const cohortBody = (ws: WorkspaceCredentials, fields: Record<string, unknown>) =>
  JSON.stringify({ partner_api_key: ws.partnerApiKey, client_secret: ws.dataImportKey, ...fields });

/** A Currents batch of one custom event for `brazeId`. */
export const currentsBody = (brazeId: string, externalId: string, id: string = randomUUID()) =>
  JSON.stringify({
    events: [
      {
        id,
        event_type: 'users.behaviors.CustomEvent',
        time: Math.floor(Date.now() / 1000),
        user: { user_id: brazeId, external_user_id: externalId },
        properties: { name: 'load', custom_properties: { n: 1 } },
      },
    ],
  });

/**
 * One Engage audience identify as Segment's Webhooks (Actions) destination sends it (default
 * mapping: the whole event); `name` is the audience key, so an existing cohort keeps its name.
 */
export const segmentBody = (cohortId: string, userId: string, options: { member?: boolean; name?: string; messageId?: string } = {}) => {
  const name = options.name ?? `Cohort ${cohortId}`;
  return JSON.stringify({
    type: 'identify',
    userId,
    messageId: options.messageId ?? randomUUID(),
    timestamp: new Date().toISOString(),
    traits: { [name]: options.member ?? true },
    context: { personas: { computation_class: 'audience', computation_id: cohortId, computation_key: name } },
  });
};

const json = { 'content-type': 'application/json' };

/** The parts of a well-formed request that are specific to a route (a bearer credential is added from the route table). */
type RequestParts = (ws: WorkspaceCredentials, fixtures: Fixtures) => Partial<RouteRequest>;

/**
 * Per route: how to build a well-formed request. Keys must cover the route table exactly — the
 * suites fail on a route missing here.
 */
const REQUESTS: Record<RouteKey, RequestParts> = {
  'GET /health': () => ({}),
  'POST /partners/{partner}/cohorts': (ws, f) => ({
    pathParameters: { partner: ws.partnerName },
    headers: { 'content-type': 'application/json' },
    body: cohortBody(ws, { cohort_id: f.cohortId, name: 'Cohort', created_at: '2026-01-01T00:00:00Z' }),
  }),
  'POST /partners/{partner}/cohorts/users': (ws, f) => ({
    pathParameters: { partner: ws.partnerName },
    headers: { 'content-type': 'application/json' },
    body: cohortBody(ws, { cohort_id: f.cohortId, cohort_changes: [{ user_ids: [f.externalId] }] }),
  }),
  'GET /v1/cohorts': () => ({}),
  'GET /v1/cohorts/{cohortId}/members': (_ws, f) => ({ pathParameters: { cohortId: f.cohortId } }),
  'GET /v1/cohorts/{cohortId}/imports/{importId}': (_ws, f) => ({ pathParameters: { cohortId: f.cohortId, importId: f.importId } }),
  'GET /v1/users': (_ws, f) => ({ query: { external_id: f.externalId } }),
  'GET /v1/destinations/abtasty/deliveries': (_ws, f) => ({ query: { segment_id: f.segmentId } }),
  'GET /v1/destinations/webhook/deliveries': () => ({}),
  'POST /heap/segments/{workspaceId}': (ws, f) => {
    const body = heapSyncBody(f.segmentId, [f.visitorId]);
    return { pathParameters: { workspaceId: ws.workspaceId }, headers: { 'content-type': 'application/json', ...heapHeaders(ws.heapWebhookSecret, body) }, body };
  },
  'GET /abtasty/segments': () => ({}),
  'GET /abtasty/visitors/{visitorId}/segments': (_ws, f) => ({ pathParameters: { visitorId: f.visitorId } }),
  'GET /abtasty/visitors/{visitorId}/context': (_ws, f) => ({ pathParameters: { visitorId: f.visitorId } }),
  'GET /abtasty/segments/{segmentId}/visitors': (_ws, f) => ({ pathParameters: { segmentId: f.segmentId } }),
  'GET /abtasty/segments/{segmentId}/udc.csv': (_ws, f) => ({ pathParameters: { segmentId: f.segmentId } }),
  'POST /currents': (_ws, f) => ({ headers: json, body: currentsBody(f.brazeId, f.externalId) }),
  'POST /segment/audiences/{workspaceId}': (ws, f) => ({ pathParameters: { workspaceId: ws.workspaceId }, headers: json, body: segmentBody(f.cohortId, f.externalId) }),
  'POST /users/alias/new': (_ws, f) => ({ headers: json, body: JSON.stringify({ user_aliases: [{ alias_name: `alias-${f.externalId}`, alias_label: 'crm_id' }] }) }),
  'POST /users/identify': (_ws, f) => ({
    headers: json,
    body: JSON.stringify({ aliases_to_identify: [{ external_id: `${f.externalId}-identified`, user_alias: { alias_name: `alias-${f.externalId}`, alias_label: 'crm_id' } }] }),
  }),
  'GET /v1/users/{brazeId}/events': (_ws, f) => ({ pathParameters: { brazeId: f.brazeId } }),
  'GET /v1/events': () => ({ query: { type: 'users.behaviors.CustomEvent', from: String(Math.floor(Date.now() / 1000) - 86_400) } }),
  'GET /v1/currents/rejects': () => ({}),
  'GET /v1/heap/rejects': () => ({}),
  'GET /v1/directory/imports': () => ({}),
  'GET /console': () => ({}),
  'GET /console/{asset}': () => ({ pathParameters: { asset: 'app.js' } }),
  'GET /v1/cohorts/{cohortId}/imports': (_ws, f) => ({ pathParameters: { cohortId: f.cohortId } }),
  'GET /v1/connections': () => ({}),
  'GET /v1/queues': () => ({}),
  // Its own credential: no other route's request depends on it.
  'POST /v1/admin/credentials/{kind}/rotate': () => ({ pathParameters: { kind: 'consoleAdminKey' }, headers: json, body: JSON.stringify({ graceSeconds: 0 }) }),
  'GET /v1/cohorts/{cohortId}/members/{brazeId}/history': (_ws, f) => ({ pathParameters: { cohortId: f.cohortId, brazeId: f.brazeId } }),
  'GET /abtasty/segments/{segmentId}/visitors/{visitorId}/history': (_ws, f) => ({ pathParameters: { segmentId: f.segmentId, visitorId: f.visitorId } }),
  'GET /v1/trace': (_ws, f) => ({ query: { cohort_id: f.cohortId, external_id: f.externalId } }),
};

/** The credential a bearer route presents, as a header. */
const presented = (auth: RouteAuth, ws: WorkspaceCredentials): Record<string, string> =>
  auth.kind === 'bearer' ? { authorization: `Bearer ${ws[auth.credential]}` } : {};

/** A route's spec: its auth and refusals from the tables; `valid` from REQUESTS (undefined for a route missing there). */
export const routeSpec = (route: RouteDefinition): RouteSpec | undefined => {
  const parts = REQUESTS[routeKey(route)];
  if (!parts) return undefined;
  const auth = routeAuth(route);
  const { refusal, missing } = refusalStatus(route);
  return {
    auth,
    refusal,
    ...(missing !== undefined ? { missingRefusal: missing } : {}),
    valid: (ws, fixtures) => {
      const request = parts(ws, fixtures);
      return {
        pathParameters: request.pathParameters ?? {},
        query: request.query ?? {},
        headers: { ...request.headers, ...presented(auth, ws) },
        ...(request.body === undefined ? {} : { body: request.body }),
      };
    },
  };
};

/** Every route of the table that has a request builder, by key. */
export const ROUTE_SPECS: Partial<Record<RouteKey, RouteSpec>> = Object.fromEntries(
  ROUTES.flatMap((route) => {
    const spec = routeSpec(route);
    return spec ? [[routeKey(route), spec]] : [];
  }),
);

/** The cells of the authentication matrix: who presents what. */
export const AUTH_CELLS = ['no credential', 'wrong', "another workspace's", 'rotated-out'] as const;
export type AuthCell = (typeof AUTH_CELLS)[number];

/**
 * The authentication matrix: every authenticated route of `routes` × every cell, with the status
 * its refusal must have — all from the route table and the credential registry.
 */
export const authMatrix = (routes: readonly RouteDefinition[] = ROUTES): { key: RouteKey; auth: RouteAuth; cell: AuthCell; status: number }[] =>
  routes.flatMap((route) => {
    const auth = routeAuth(route);
    const { refusal, missing } = refusalStatus(route);
    if (auth.kind === 'public' || refusal === undefined) return [];
    return AUTH_CELLS.map((cell) => ({ key: routeKey(route), auth, cell, status: cell === 'no credential' && missing !== undefined ? missing : refusal }));
  });

/** Routes of the table that the suites cannot build a request for (must be empty). */
export const unlistedRoutes = (): RouteKey[] => publicRoutes().map((route) => route.key).filter((key) => !(key in REQUESTS));

/** The concrete path of a route for some path parameters (URL-encoded). */
export const fillPath = (path: string, parameters: Record<string, string>) =>
  path.replace(/\{([a-zA-Z0-9_]+)\}/g, (_, name: string) => encodeURIComponent(wellFormed(parameters[name] ?? '')));

/**
 * What arrives over HTTP is UTF-8: a lone surrogate cannot, it becomes U+FFFD (JSON bodies can
 * still carry `\ud800` escapes, which is what the fuzzers send to reach the parsers).
 */
export const wellFormed = (text: string): string => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const wellFormedRecord = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).map(([name, value]) => [wellFormed(name), wellFormed(value)]));

/**
 * Invokes route handlers in process with the API Gateway REST proxy events the local server (and
 * API Gateway) build: the same modules Lambda runs, without HTTP in between.
 */
export const routeInvoker = async () => {
  const handlers = new Map<string, HttpLambda>();
  for (const route of publicRoutes()) handlers.set(route.key, await loadHandler<HttpLambda>(route.definition));
  return async (key: string, given: RouteRequest): Promise<APIGatewayProxyResult> => {
    const request = {
      pathParameters: wellFormedRecord(given.pathParameters),
      query: wellFormedRecord(given.query),
      headers: wellFormedRecord(given.headers),
      ...(given.body === undefined ? {} : { body: wellFormed(given.body) }),
    };
    const [method, resource] = key.split(' ') as [string, string];
    const handler = handlers.get(key);
    if (!handler) throw new Error(`no handler for ${key}`);
    const path = fillPath(resource, request.pathParameters);
    const event = {
      resource,
      path,
      httpMethod: method,
      headers: request.headers,
      multiValueHeaders: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: Object.keys(request.query).length > 0 ? request.query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(request.pathParameters).length > 0 ? request.pathParameters : null,
      stageVariables: null,
      body: request.body ?? null,
      isBase64Encoded: false,
      requestContext: { requestId: randomUUID(), requestTimeEpoch: Date.now(), httpMethod: method, path, stage: 'local', resourcePath: resource, identity: { sourceIp: '127.0.0.1' } },
    } as unknown as APIGatewayProxyEvent;
    return handler(event, lambdaContext(key));
  };
};

/** Content type of a handler result, whatever the header's case. */
export const contentType = (result: APIGatewayProxyResult): string =>
  String(Object.entries(result.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '');

/**
 * Problems with an error answer in the hub's convention: JSON `{message, errors?}` with the JSON
 * content type, `message` a non-empty string, `errors` (if present) a list of strings, nothing else.
 */
export const errorConventionProblems = (result: APIGatewayProxyResult): string[] => {
  const problems: string[] = [];
  if (!contentType(result).startsWith('application/json')) problems.push(`content type ${contentType(result)}`);
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    return [...problems, `body is not JSON: ${result.body.slice(0, 80)}`];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [...problems, 'body is not an object'];
  const record = body as Record<string, unknown>;
  if (typeof record.message !== 'string' || record.message.length === 0) problems.push('message is not a non-empty string');
  if ('errors' in record && (!Array.isArray(record.errors) || !record.errors.every((item) => typeof item === 'string'))) problems.push('errors is not a list of strings');
  const extra = Object.keys(record).filter((key) => key !== 'message' && key !== 'errors');
  if (extra.length > 0) problems.push(`extra keys ${extra.join(',')}`);
  return problems;
};
