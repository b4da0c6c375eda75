/**
 * The one way an HTTP handler dispatches: the route table (definitions/routes.ts) says which routes
 * a function serves and which credential each accepts; the handler supplies one function per route
 * and one authentication middleware per way of presenting a credential (bearer, cohort body,
 * Heap-Hash). A request is matched on method + API Gateway `resource`, or — for events built by
 * hand (tests, benchmarks) — on method + the path against each route's template. Then: the body
 * limit, the route's authentication middleware (its refusal is the answer), the route function.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Presentation } from './definitions/credentials';
import type { FunctionKey } from './definitions/functions';
import { ROUTES, pathPattern, routeAuth, routeKey, routesOf, type RouteDefinition, type RouteKeyOf } from './definitions/routes';
import { logger } from './powertools';
import { httpHandler, refusal, type HttpHandlerOptions, type HttpRequest, type HttpResponse } from './http';

/** What authentication middleware decides: who is calling (`auth`), or the refusal to answer with. */
export type AuthOutcome<A> = { readonly ok: true; readonly auth: A } | { readonly ok: false; readonly response: HttpResponse };

/** Authentication middleware for one way of presenting a credential; `route.auth` names the credential. */
export type Authenticator<A> = (request: HttpRequest, route: RouteDefinition) => Promise<AuthOutcome<A>>;

/** A route's function: parse, call one domain function, map its outcome to HTTP. `auth` is undefined on a public route. */
export type RouteFn<A> = (request: HttpRequest, auth: A) => Promise<HttpResponse>;

export interface RouteHandlers<A, K extends string = string> {
  /** Middleware per presentation the function's routes use (see each credential's `presentation`). */
  readonly authenticate: Partial<Record<Presentation, Authenticator<A>>>;
  readonly routes: Readonly<Record<K, RouteFn<A>>>;
}

/** Runs one route: its authentication middleware, then (if it lets the request through) its function; says who called. */
const runAuthenticated = async <A>(handlers: RouteHandlers<A>, route: RouteDefinition, request: HttpRequest): Promise<{ response: HttpResponse; auth?: A }> => {
  const fn = handlers.routes[routeKey(route)];
  if (!fn) throw new Error(`No function for ${routeKey(route)}`);
  const auth = routeAuth(route);
  if (auth.kind === 'public') return { response: await fn(request, undefined as A) };
  const authenticate = handlers.authenticate[auth.kind];
  if (!authenticate) throw new Error(`No ${auth.kind} authentication for ${routeKey(route)}`);
  const outcome = await authenticate(request, route);
  return outcome.ok ? { response: await fn(request, outcome.auth), auth: outcome.auth } : { response: outcome.response };
};

/** Runs one route: its authentication middleware, then (if it lets the request through) its function. */
export const runRoute = async <A>(handlers: RouteHandlers<A>, route: RouteDefinition, request: HttpRequest): Promise<HttpResponse> =>
  (await runAuthenticated(handlers, route, request)).response;

/**
 * Remembers each answer of a partner connection as its workspace's last accepted or refused
 * request (the console's Connections view). A refusal counts only where the request names its
 * workspace (path or `?workspace=`); recording never changes the answer.
 */
export interface ConnectionObserver<A> {
  readonly connection: string;
  workspaceOf(request: HttpRequest, auth: A | undefined): string | undefined;
  record(workspaceId: string, connection: string, outcome: 'accepted' | 'refused', event: { readonly atMs: number; readonly status: number; readonly reason?: string }): Promise<void>;
}

/** Workspace ids as the hub issues them (`ws` + 16 hex): anything else names no workspace. */
const WORKSPACE_ID = /^ws[0-9a-f]{16}$/;

const observe = async <A>(observer: ConnectionObserver<A>, request: HttpRequest, result: { response: HttpResponse; auth?: A }): Promise<void> => {
  const workspaceId = observer.workspaceOf(request, result.auth);
  if (workspaceId === undefined || !WORKSPACE_ID.test(workspaceId)) return;
  const { response } = result;
  const outcome = response.refused ? 'refused' : response.status < 300 ? 'accepted' : undefined;
  if (!outcome) return;
  const event = { atMs: request.receivedAt, status: response.status, ...(response.refused ? { reason: response.refused.reason } : {}) };
  await observer.record(workspaceId, observer.connection, outcome, event).catch((error: unknown) => logger.warn('connection log not written', { error: (error as Error).message }));
};

const runObserved = async <A>(handlers: RouteHandlers<A>, route: RouteDefinition, request: HttpRequest, observer: ConnectionObserver<A> | undefined): Promise<HttpResponse> => {
  const result = await runAuthenticated(handlers, route, request);
  if (observer) await observe(observer, request, result);
  return result.response;
};

type LambdaHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface RouterOptions extends HttpHandlerOptions {
  /** The route table (tests pass another). */
  readonly routes?: readonly RouteDefinition[];
}

/**
 * The Lambda handler of function `fn`: one entry per route it serves in the table, each with the
 * route's metric name. Fails at cold start when a route of the table has no function here.
 */
export const httpRouter = <F extends FunctionKey, A>(fn: F, handlers: RouteHandlers<A, RouteKeyOf<F>>, options: RouterOptions & { readonly observe?: ConnectionObserver<A> }): LambdaHandler => {
  const served = routesOf(fn, options.routes ?? ROUTES);
  const general = handlers as RouteHandlers<A>;
  const missing = served.filter((route) => general.routes[routeKey(route)] === undefined).map(routeKey);
  if (missing.length > 0) throw new Error(`${fn} serves ${missing.join(', ')} but has no function for it`);
  const entries = served.map((route) => ({
    route,
    pattern: pathPattern(route.path),
    handle: httpHandler(route.metric ?? fn, (request) => runObserved(general, route, request, options.observe), options),
  }));
  const notFound = httpHandler(fn, () => Promise.resolve(refusal(404, 'Not found')), { clock: options.clock });
  return (event, context) => {
    const sameMethod = entries.filter((entry) => entry.route.method === event.httpMethod);
    const chosen = sameMethod.find((entry) => entry.route.path === event.resource) ?? sameMethod.find((entry) => entry.pattern.test(event.path ?? ''));
    return (chosen?.handle ?? notFound)(event, context);
  };
};
