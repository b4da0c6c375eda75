/**
 * Every HTTP route of the hub, declared once: method, path, the function (and so the handler
 * module) that serves it, the credential it accepts, and its documentation. Read by the handlers'
 * router (shared/router.ts), the OpenAPI generator (shared/openapi.ts), the local HTTP server, the
 * CDK API (lib/service-stack.ts) and the reliability suite's auth matrix. Plain data: no runtime
 * imports (body schemas are named here and resolved in schemas/api-docs.ts).
 */
import { CREDENTIALS, PRESENTATIONS, type CredentialKind, type Presentation } from './credentials';
import { FUNCTIONS, type FunctionDefinition, type FunctionKey, type HttpMethod } from './functions';

/** Request body schemas, by name (registry: `BODY_SCHEMAS` in schemas/api-docs.ts). */
export type BodySchemaName = 'cohortUpsert' | 'cohortUsers' | 'heapWebhook' | 'currents' | 'aliasNew' | 'identify' | 'segmentAudiences' | 'rotateCredential';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway style path, e.g. `/partners/{partner}/cohorts`. */
  readonly path: string;
  /** The function serving it; its `entry` is the handler module. */
  readonly function: FunctionKey;
  /** The credential that authenticates a request (definitions/credentials.ts), or `public`. */
  readonly auth: CredentialKind | 'public';
  readonly summary: string;
  readonly tag: string;
  /** Query parameters it reads. */
  readonly query?: readonly string[];
  /** Status → description. */
  readonly responses: Readonly<Record<string, string>>;
  readonly body?: BodySchemaName;
  /** Name of its log key and per-route metrics (`<name>.Accepted`, …); defaults to the function key. */
  readonly metric?: string;
}

const UNAUTHORIZED = 'Missing, wrong or rotated-out credential';
const RATE_LIMITED = 'Rate limited (X-RateLimit-* headers)';
const UNAVAILABLE = 'Could not queue the whole request (Retry-After): nothing accepted, or part queued and a retry is safe';

const cohortImportAnswers = {
  '201': '{"message":"success","import_id"} — queued',
  '400': 'Braze validation message',
  '413': 'Body too large',
  '401': UNAUTHORIZED,
  '429': RATE_LIMITED,
  '503': UNAVAILABLE,
};
const aliasAnswers = { '201': '{"message":"success","aliases_processed"} with per-item errors', '400': 'Malformed body or more than 50 items', '401': UNAUTHORIZED };

export const ROUTES = [
  { method: 'GET', path: '/health', function: 'health', auth: 'public', summary: 'Health of every table and queue dependency', tag: 'operations', responses: { '200': 'All dependencies up', '503': 'A dependency is down' } },
  {
    method: 'POST',
    path: '/partners/{partner}/cohorts',
    function: 'cohortIngest',
    auth: 'dataImportKey',
    summary: 'Braze partner cohort import: create or rename a cohort (idempotent upsert by cohort_id)',
    tag: 'braze-cohort-import',
    body: 'cohortUpsert',
    responses: cohortImportAnswers,
  },
  {
    method: 'POST',
    path: '/partners/{partner}/cohorts/users',
    function: 'cohortIngest',
    auth: 'dataImportKey',
    summary: 'Braze partner cohort import: membership delta (≤ 1,000 identifiers); empty cohort_changes is a credential probe',
    tag: 'braze-cohort-import',
    body: 'cohortUsers',
    responses: cohortImportAnswers,
  },
  { method: 'GET', path: '/v1/cohorts', function: 'readApi', auth: 'apiKey', summary: 'Cohorts with name, source partner, times and member count', tag: 'read-api', query: ['limit', 'cursor'], responses: { '200': 'A page of cohorts', '401': UNAUTHORIZED } },
  { method: 'GET', path: '/v1/cohorts/{cohortId}/members', function: 'readApi', auth: 'apiKey', summary: 'Current members of a cohort, paged', tag: 'read-api', query: ['limit', 'cursor'], responses: { '200': 'A page of members', '401': UNAUTHORIZED, '404': 'Unknown cohort' } },
  { method: 'GET', path: '/v1/cohorts/{cohortId}/imports/{importId}', function: 'readApi', auth: 'apiKey', summary: 'The import report of one request', tag: 'read-api', responses: { '200': 'The report (status queued | applied | failed)', '401': UNAUTHORIZED, '404': 'Unknown import' } },
  {
    method: 'GET',
    path: '/v1/users',
    function: 'readApi',
    auth: 'apiKey',
    summary: 'A profile by external_id, alias (alias_label + alias_name), device_id or braze_id, with its identifiers, cohorts and Heap segments',
    tag: 'read-api',
    query: ['external_id', 'alias_label', 'alias_name', 'device_id', 'braze_id'],
    responses: { '200': 'The profile', '400': 'No or conflicting lookup parameters', '401': UNAUTHORIZED, '404': 'No such user' },
  },
  {
    method: 'GET',
    path: '/v1/destinations/abtasty/deliveries',
    function: 'readApi',
    auth: 'apiKey',
    metric: 'abTastyDeliveries',
    summary: 'AB Tasty UDC pushes, newest first: segments, rows, bytes, times, attempts, AB Tasty status and message, outcome; segment_id for one Heap segment',
    tag: 'read-api',
    query: ['segment_id', 'limit', 'cursor'],
    responses: { '200': 'A page of delivery reports', '400': 'Bad segment_id, limit or cursor', '401': UNAUTHORIZED },
  },
  { method: 'GET', path: '/v1/destinations/webhook/deliveries', function: 'readApi', auth: 'apiKey', metric: 'webhookDeliveries', summary: "The change webhook's POSTs, newest first: outcome, change count, first and last event ids, times, attempts with the receiver's status", tag: 'read-api', query: ['limit', 'cursor'], responses: { '200': 'A page of webhook delivery reports', '400': 'Bad limit or cursor', '401': UNAUTHORIZED } },
  {
    method: 'POST',
    path: '/heap/segments/{workspaceId}',
    function: 'heapWebhook',
    auth: 'heapWebhookSecret',
    summary: 'Heap segment sync webhook (segment.users.sync pages, segment.users.drain), signed with Heap-Hash',
    tag: 'heap',
    body: 'heapWebhook',
    responses: {
      '200': 'Page queued, unknown action ignored, or a verified body the hub cannot use kept in the rejects store',
      '400': 'Missing or malformed Heap-Hash header',
      '403': 'Wrong HMAC, stale or future timestamp, unknown workspace or unpinned id_token',
      '413': 'Body too large',
      '503': UNAVAILABLE,
    },
  },
  { method: 'GET', path: '/abtasty/segments', function: 'abTastyApi', auth: 'abTastyToken', metric: 'abTastySegments', summary: 'Heap segments with at least one member (AB Tasty hides empty ones)', tag: 'abtasty', responses: { '200': 'Segments with id, name, member_count, last_sync', '401': UNAUTHORIZED } },
  {
    method: 'GET',
    path: '/abtasty/visitors/{visitorId}/segments',
    function: 'abTastyApi',
    auth: 'abTastyToken',
    metric: 'abTastyVisitorSegments',
    summary: 'The segments a visitor is in now (one Query; ETag / If-None-Match)',
    tag: 'abtasty',
    responses: { '200': 'Segments of the visitor', '304': 'Not modified', '400': 'Invalid visitor id', '401': UNAUTHORIZED },
  },
  {
    method: 'GET',
    path: '/abtasty/visitors/{visitorId}/context',
    function: 'abTastyApi',
    auth: 'abTastyToken',
    metric: 'abTastyVisitorContext',
    summary: 'The visitor\'s delivered segments as Flagship context {"<partner>::<segment token>": "<value>"} for updateContext() (one Query; ETag / If-None-Match)',
    tag: 'abtasty',
    responses: { '200': 'Context object', '304': 'Not modified', '400': 'Invalid visitor id', '401': UNAUTHORIZED, '404': 'No AB Tasty destination configured' },
  },
  { method: 'GET', path: '/abtasty/segments/{segmentId}/visitors', function: 'abTastyApi', auth: 'abTastyToken', metric: 'abTastySegmentVisitors', summary: 'Members of a segment, paged', tag: 'abtasty', query: ['limit', 'cursor'], responses: { '200': 'A page of visitors', '401': UNAUTHORIZED, '404': 'Unknown segment' } },
  {
    method: 'GET',
    path: '/abtasty/segments/{segmentId}/udc.csv',
    function: 'abTastyApi',
    auth: 'abTastyToken',
    metric: 'abTastyUdcCsv',
    summary: "The segment in AB Tasty's Universal Data Connector CSV (visitor_id,value)",
    tag: 'abtasty',
    query: ['value', 'cursor'],
    responses: { '200': 'text/csv; X-Next-Cursor when more follows', '401': UNAUTHORIZED, '404': 'Unknown segment' },
  },
  {
    method: 'POST',
    path: '/currents',
    function: 'currentsIngest',
    auth: 'currentsToken',
    summary: 'Braze Currents Custom HTTP connector: a batch of up to 100 events; empty body or no events is a credential check',
    tag: 'braze-currents',
    body: 'currents',
    query: ['workspace'],
    responses: {
      '200': 'Queued (events that fail the envelope are kept in the rejects store, never the batch)',
      '400': 'Not a JSON object with an events array',
      '401': 'Missing or wrong bearer token (also on an empty batch)',
      '413': 'Body too large: Braze splits the batch',
      '503': UNAVAILABLE,
    },
  },
  {
    method: 'POST',
    path: '/segment/audiences/{workspaceId}',
    function: 'segmentIngest',
    auth: 'segmentToken',
    summary: "Segment Engage audiences from Segment's Webhooks (Actions) destination: one event or a JSON array (batching) of audience identify (traits.<audience_key>) and track (Audience Entered / Exited) events",
    tag: 'segment',
    body: 'segmentAudiences',
    responses: {
      '200': 'Every audience change queued (other events counted and ignored), with the import ids per audience',
      '400': 'Not a Segment event or array of events, more than 4,000 events, or a malformed audience event (nothing queued)',
      '401': 'Missing or wrong bearer token, or a path naming another workspace',
      '413': 'Body too large: lower the batch size',
      '503': UNAVAILABLE,
    },
  },
  { method: 'POST', path: '/users/alias/new', function: 'identityApi', auth: 'apiKey', summary: 'Braze-shaped: add aliases to users, or create alias-only users (≤ 50)', tag: 'identity', body: 'aliasNew', responses: aliasAnswers },
  { method: 'POST', path: '/users/identify', function: 'identityApi', auth: 'apiKey', summary: 'Braze-shaped: identify alias-only users with an external_id (merging into an existing user)', tag: 'identity', body: 'identify', responses: aliasAnswers },
  { method: 'GET', path: '/v1/users/{brazeId}/events', function: 'eventsApi', auth: 'apiKey', summary: "A user's stored Currents events in a time range", tag: 'read-api', query: ['from', 'to', 'type', 'limit', 'cursor'], responses: { '200': 'A page of events', '400': 'Bad range or cursor', '401': UNAUTHORIZED, '404': 'Unknown user' } },
  { method: 'GET', path: '/v1/events', function: 'eventsApi', auth: 'apiKey', summary: 'Events of one type in a time range (day-sharded type index)', tag: 'read-api', query: ['type', 'from', 'to', 'limit', 'cursor'], responses: { '200': 'A page of events', '400': 'Bad range or cursor', '401': UNAUTHORIZED } },
  { method: 'GET', path: '/v1/currents/rejects', function: 'eventsApi', auth: 'apiKey', summary: 'Currents events that failed the envelope, with the reason', tag: 'read-api', query: ['limit', 'cursor'], responses: { '200': 'A page of rejects', '401': UNAUTHORIZED } },
  {
    method: 'GET',
    path: '/v1/directory/imports',
    function: 'readApi',
    auth: 'apiKey',
    metric: 'directoryImports',
    summary: 'Directory imports (Braze user exports from the import bucket or a download URL, and admin CLI files), newest export first: file, users, applied, conflicts, rejects',
    tag: 'read-api',
    query: ['limit', 'cursor'],
    responses: { '200': 'A page of import reports', '400': 'Bad limit or cursor', '401': UNAUTHORIZED },
  },
  { method: 'GET', path: '/v1/heap/rejects', function: 'eventsApi', auth: 'apiKey', summary: 'Heap deliveries whose signature verified but whose body the hub could not use, with the reason', tag: 'read-api', query: ['limit', 'cursor'], responses: { '200': 'A page of rejects', '401': UNAUTHORIZED } },
  { method: 'GET', path: '/console', function: 'console', auth: 'public', summary: 'The web console (a single page; sign in with the workspace apiKey)', tag: 'console', responses: { '200': 'text/html, strict Content-Security-Policy' } },
  { method: 'GET', path: '/console/{asset}', function: 'console', auth: 'public', metric: 'consoleAsset', summary: "The console's static assets (app.js, app.css)", tag: 'console', responses: { '200': 'The asset', '404': 'No such asset' } },
  {
    method: 'GET',
    path: '/v1/cohorts/{cohortId}/imports',
    function: 'readApi',
    auth: 'apiKey',
    metric: 'cohortImports',
    summary: "A cohort's import reports, newest first (counts, matched, unmatched by reason, status)",
    tag: 'read-api',
    query: ['limit', 'cursor'],
    responses: { '200': 'A page of import reports', '400': 'Bad limit or cursor', '401': UNAUTHORIZED, '404': 'Unknown cohort' },
  },
  { method: 'GET', path: '/v1/connections', function: 'opsApi', auth: 'apiKey', summary: "The workspace's partner connections: workspace id, partner name, and per connection the last accepted and last refused request (with its reason)", tag: 'operations', responses: { '200': 'The connections', '401': UNAUTHORIZED } },
  { method: 'GET', path: '/v1/queues', function: 'opsApi', auth: 'apiKey', metric: 'queueDepths', summary: 'Depth of every work queue and its dead-letter queue (approximate visible and in-flight messages)', tag: 'operations', responses: { '200': 'Depths per queue', '401': UNAUTHORIZED } },
  {
    method: 'POST',
    path: '/v1/admin/credentials/{kind}/rotate',
    function: 'consoleAdmin',
    auth: 'consoleAdminKey',
    metric: 'consoleRotate',
    summary: 'Rotate one of the workspace\'s compared-only credentials (a new random value, shown once); optional JSON body {"graceSeconds": n}',
    tag: 'console',
    body: 'rotateCredential',
    responses: { '200': '{"workspaceId","credential","value"}', '400': 'Unknown or not rotatable kind, or a bad body', '401': UNAUTHORIZED },
  },
  {
    method: 'GET',
    path: '/v1/cohorts/{cohortId}/members/{brazeId}/history',
    function: 'traceApi',
    auth: 'apiKey',
    metric: 'memberHistory',
    summary: "One cohort member's applied flips (entered / exited), oldest first, each with its version and source (import id and partner, orphan merge, deletion)",
    tag: 'trace',
    query: ['limit', 'cursor'],
    responses: { '200': 'A page of flips', '400': 'Bad limit, cursor or id', '401': UNAUTHORIZED },
  },
  {
    method: 'GET',
    path: '/abtasty/segments/{segmentId}/visitors/{visitorId}/history',
    function: 'traceApi',
    auth: 'abTastyToken',
    metric: 'visitorHistory',
    summary: "One Heap segment visitor's applied flips, oldest first, each with its version and source (Heap sync_task_id and page, drain)",
    tag: 'trace',
    query: ['limit', 'cursor'],
    responses: { '200': 'A page of flips', '400': 'Bad limit, cursor or visitor id', '401': UNAUTHORIZED },
  },
  {
    method: 'GET',
    path: '/v1/trace',
    function: 'traceApi',
    auth: 'apiKey',
    metric: 'trace',
    summary: 'Why an identifier is (not) in a set: its resolution (resolved, never_seen, device_of_identified_profile, merged_into, deleted), the current membership and version, the flips with their sources, and the recent cohort-import decisions about it (added, removed, unchanged, stale, unmatched and why; newest first, at most 20)',
    tag: 'trace',
    query: ['cohort_id', 'external_id', 'alias_label', 'alias_name', 'device_id', 'braze_id', 'segment_id', 'visitor_id'],
    responses: { '200': 'The trace document', '400': 'No set, or not exactly one identifier', '401': UNAUTHORIZED },
  },
] as const satisfies readonly RouteDefinition[];

/** `METHOD /path/{param}`: how routes are named everywhere (router tables, the auth matrix). */
export type RouteKey = `${HttpMethod} /${string}`;

type DeclaredRoute = (typeof ROUTES)[number];
/** The keys of the routes one function serves, e.g. `'GET /v1/cohorts' | …` for `readApi`. */
export type RouteKeyOf<F extends FunctionKey> = Extract<DeclaredRoute, { readonly function: F }> extends infer R
  ? R extends { readonly method: infer M extends string; readonly path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): RouteKey => `${route.method} ${route.path}` as RouteKey;

/** The routes a function serves, in declaration order. */
export const routesOf = (fn: FunctionKey, routes: readonly RouteDefinition[] = ROUTES): RouteDefinition[] => routes.filter((route) => route.function === fn);

/** The function definition that serves a route (its `entry` is the handler module). */
export const functionOf = (route: RouteDefinition): FunctionDefinition => FUNCTIONS[route.function];

/** Names of a path's `{parameters}`, in order. */
export const pathParameterNames = (path: string): string[] => [...path.matchAll(/\{([a-zA-Z0-9_]+)\}/g)].map((match) => match[1] as string);

/** A regex matching concrete paths of a template; parameter values are its capture groups, in order. */
export const pathPattern = (path: string): RegExp =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([a-zA-Z0-9_]+)\\?\}/g, '([^/]+)')}$`);

/** How a route authenticates, from its credential's definition. */
export type RouteAuth = { readonly kind: 'public' } | { readonly kind: Presentation; readonly credential: CredentialKind };

export const routeAuth = (route: Pick<RouteDefinition, 'auth'>): RouteAuth =>
  route.auth === 'public' ? { kind: 'public' } : { kind: CREDENTIALS[route.auth].presentation, credential: route.auth };

/** Status of an authentication refusal on a route, and (where the convention differs) when no credential is presented at all. */
export const refusalStatus = (route: Pick<RouteDefinition, 'auth'>): { refusal: number | undefined; missing?: number } => {
  const auth = routeAuth(route);
  if (auth.kind === 'public') return { refusal: undefined };
  const presentation: { refusalStatus: number; missingStatus?: number } = PRESENTATIONS[auth.kind];
  return { refusal: presentation.refusalStatus, ...(presentation.missingStatus !== undefined ? { missing: presentation.missingStatus } : {}) };
};
