/**
 * The reliability suite's view of the hub's public routes: derived from FUNCTIONS (so a new route
 * cannot be forgotten), with, per route, how it authenticates, how it refuses, and a well-formed
 * request for a workspace. Used by the fuzz, security and load suites.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { signHeapBody } from '../../../functions/domain/heap-signature';
import { functionDefinitions, type FunctionDefinition } from '../../../functions/shared/definitions/functions';
import type { HashedCredentialKind, WorkspaceCredentials } from '../../../functions/schemas/workspace';
import { loadHandler, type HttpLambda } from '../../../scripts/local/handlers';
import { lambdaContext } from '../../../scripts/local/lambda-context';

/** `METHOD /path/{param}` exactly as in FUNCTIONS. */
export type RouteKey = string;

/** Every public HTTP route of the hub, from FUNCTIONS. */
export const publicRoutes = (): { key: RouteKey; method: string; path: string; definition: FunctionDefinition }[] =>
  functionDefinitions().flatMap(([, definition]) =>
    definition.routes.map((route) => ({ key: `${route.method} ${route.path}`, method: route.method, path: route.path, definition })),
  );

/** How a route decides who is calling. */
export type RouteAuth =
  | { kind: 'public' }
  /** Braze partner cohort import: `client_secret` (dataImportKey) + `partner_api_key` in the JSON body. */
  | { kind: 'cohortBody' }
  /** Heap webhook: `Heap-Hash` HMAC with the workspace's webhook secret; the workspace is in the path. */
  | { kind: 'heapHash' }
  /** `Authorization: Bearer <credential>`. */
  | { kind: 'bearer'; credential: HashedCredentialKind };

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
  readonly auth: RouteAuth;
  /** Status of an authentication refusal in this route's convention. */
  readonly refusal: 401 | 403 | undefined;
  /** Status when no credential is presented at all, where the convention differs (Heap: 400). */
  readonly missingRefusal?: 400;
  /** A well-formed, authenticated request for workspace `ws`. */
  readonly valid: (ws: WorkspaceCredentials, fixtures: Fixtures) => RouteRequest;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

type BearerCredential = 'apiKey' | 'abTastyToken' | 'currentsToken';

/** A GET route behind a bearer token: the spec of most read routes. */
const bearerGet = (
  credential: BearerCredential,
  pathParameters: (fixtures: Fixtures) => Record<string, string> = () => ({}),
  query: (fixtures: Fixtures) => Record<string, string> = () => ({}),
): RouteSpec => ({
  auth: { kind: 'bearer', credential },
  refusal: 401,
  valid: (ws, f) => ({ pathParameters: pathParameters(f), query: query(f), headers: bearer(ws[credential]) }),
});

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

const json = { 'content-type': 'application/json' };

/**
 * Per route: authentication and a valid request. Keys must cover publicRoutes() exactly — the
 * suites fail on a route missing here.
 */
export const ROUTE_SPECS: Record<RouteKey, RouteSpec> = {
  'GET /health': { auth: { kind: 'public' }, refusal: undefined, valid: () => ({ pathParameters: {}, query: {}, headers: {} }) },
  'POST /partners/{partner}/cohorts': {
    auth: { kind: 'cohortBody' },
    refusal: 401,
    valid: (ws, f) => ({
      pathParameters: { partner: ws.partnerName },
      query: {},
      headers: { 'content-type': 'application/json' },
      body: cohortBody(ws, { cohort_id: f.cohortId, name: 'Cohort', created_at: '2026-01-01T00:00:00Z' }),
    }),
  },
  'POST /partners/{partner}/cohorts/users': {
    auth: { kind: 'cohortBody' },
    refusal: 401,
    valid: (ws, f) => ({
      pathParameters: { partner: ws.partnerName },
      query: {},
      headers: { 'content-type': 'application/json' },
      body: cohortBody(ws, { cohort_id: f.cohortId, cohort_changes: [{ user_ids: [f.externalId] }] }),
    }),
  },
  'GET /v1/cohorts': bearerGet('apiKey'),
  'GET /v1/cohorts/{cohortId}/members': bearerGet('apiKey', (f) => ({ cohortId: f.cohortId })),
  'GET /v1/cohorts/{cohortId}/imports/{importId}': bearerGet('apiKey', (f) => ({ cohortId: f.cohortId, importId: f.importId })),
  'GET /v1/users': bearerGet('apiKey', undefined, (f) => ({ external_id: f.externalId })),
  'POST /heap/segments/{workspaceId}': {
    auth: { kind: 'heapHash' },
    refusal: 403,
    // A missing Heap-Hash is a 400, as in Heap's reference receiver (middleware/validateHeapHeader.ts).
    missingRefusal: 400,
    valid: (ws, f) => {
      const body = heapSyncBody(f.segmentId, [f.visitorId]);
      return { pathParameters: { workspaceId: ws.workspaceId }, query: {}, headers: { 'content-type': 'application/json', ...heapHeaders(ws.heapWebhookSecret, body) }, body };
    },
  },
  'GET /abtasty/segments': bearerGet('abTastyToken'),
  'GET /abtasty/visitors/{visitorId}/segments': bearerGet('abTastyToken', (f) => ({ visitorId: f.visitorId })),
  'GET /abtasty/segments/{segmentId}/visitors': bearerGet('abTastyToken', (f) => ({ segmentId: f.segmentId })),
  'GET /abtasty/segments/{segmentId}/udc.csv': bearerGet('abTastyToken', (f) => ({ segmentId: f.segmentId })),
  'POST /currents': {
    auth: { kind: 'bearer', credential: 'currentsToken' },
    refusal: 401,
    valid: (ws, f) => ({ pathParameters: {}, query: {}, headers: { ...json, ...bearer(ws.currentsToken) }, body: currentsBody(f.brazeId, f.externalId) }),
  },
  'POST /users/alias/new': {
    auth: { kind: 'bearer', credential: 'apiKey' },
    refusal: 401,
    valid: (ws, f) => ({
      pathParameters: {},
      query: {},
      headers: { ...json, ...bearer(ws.apiKey) },
      body: JSON.stringify({ user_aliases: [{ alias_name: `alias-${f.externalId}`, alias_label: 'crm_id' }] }),
    }),
  },
  'POST /users/identify': {
    auth: { kind: 'bearer', credential: 'apiKey' },
    refusal: 401,
    valid: (ws, f) => ({
      pathParameters: {},
      query: {},
      headers: { ...json, ...bearer(ws.apiKey) },
      body: JSON.stringify({ aliases_to_identify: [{ external_id: `${f.externalId}-identified`, user_alias: { alias_name: `alias-${f.externalId}`, alias_label: 'crm_id' } }] }),
    }),
  },
  'GET /v1/users/{brazeId}/events': bearerGet('apiKey', (f) => ({ brazeId: f.brazeId })),
  'GET /v1/events': bearerGet('apiKey', undefined, () => ({ type: 'users.behaviors.CustomEvent', from: String(Math.floor(Date.now() / 1000) - 86_400) })),
  'GET /v1/currents/rejects': bearerGet('apiKey'),
  'GET /v1/heap/rejects': bearerGet('apiKey'),
};

/** Routes in FUNCTIONS that the suites do not cover (must be empty). */
export const unlistedRoutes = (): RouteKey[] => publicRoutes().map((route) => route.key).filter((key) => !(key in ROUTE_SPECS));

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
  const handlers = new Map<RouteKey, HttpLambda>();
  for (const route of publicRoutes()) handlers.set(route.key, await loadHandler<HttpLambda>(route.definition));
  return async (key: RouteKey, given: RouteRequest): Promise<APIGatewayProxyResult> => {
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
