/** Running a handler's routes in process, as the router runs them: a request object, the route's auth middleware, its function. */
import { ROUTES, routeKey, type RouteDefinition } from '../../../functions/shared/definitions/routes';
import type { HttpRequest, HttpResponse } from '../../../functions/shared/http';
import { runRoute, type RouteHandlers } from '../../../functions/shared/router';

export const routeOf = (key: string): RouteDefinition => {
  const route = ROUTES.find((candidate) => routeKey(candidate) === key);
  if (!route) throw new Error(`no route ${key}`);
  return route;
};

export const httpRequest = (fields: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'POST',
  path: '/',
  pathParameters: {},
  query: {},
  headers: {},
  rawBody: '',
  receivedAt: Date.now(),
  ...fields,
});

export const respond = <A, K extends string>(handlers: RouteHandlers<A, K>, key: K, request: HttpRequest): Promise<HttpResponse> =>
  runRoute(handlers as RouteHandlers<A>, routeOf(key), request);

/** A refusal as the client sees it (and what the hub logs about it). */
export interface Refused {
  readonly status: number;
  readonly message: string;
  readonly errors: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly logDetail: Readonly<Record<string, unknown>>;
}

export const refusalOf = async (call: Promise<HttpResponse>): Promise<Refused> => {
  const response = await call;
  if (response.status < 400) throw new Error(`expected a refusal, got ${response.status}`);
  const body = response.body as { message: string; errors?: string[] };
  return { status: response.status, message: body.message, errors: body.errors ?? [], headers: response.headers ?? {}, logDetail: response.refused?.logDetail ?? {} };
};
