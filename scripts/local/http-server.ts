/**
 * The local API Gateway: an HTTP server that routes requests to the same handler modules Lambda
 * runs, as REST API proxy events, and writes their responses back. Its routes are the route table
 * (functions/shared/definitions/routes.ts), like the CDK API's.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FUNCTIONS, type FunctionKey } from '../../functions/shared/definitions/functions';
import { ROUTES, pathParameterNames, pathPattern, type RouteDefinition } from '../../functions/shared/definitions/routes';
import { lambdaContext } from './lambda-context';
import { proxyEventOf } from './proxy-event';
import { loadHandler, type HttpLambda } from './handlers';

/** API Gateway REST APIs refuse payloads over 10 MB before any function runs. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface CompiledRoute {
  readonly functionKey: FunctionKey;
  readonly method: string;
  readonly resource: string;
  readonly pattern: RegExp;
  readonly params: string[];
}

/** The server's routing table, compiled from the route table (a test passes an extended one). */
export const compileRoutes = (routes: readonly RouteDefinition[] = ROUTES): CompiledRoute[] =>
  routes.map((route) => ({ functionKey: route.function, method: route.method, resource: route.path, pattern: pathPattern(route.path), params: pathParameterNames(route.path) }));

const readBody = (request: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > API_GATEWAY_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });

const send = (response: ServerResponse, status: number, headers: Record<string, string | number | boolean>, body: string) => {
  response.writeHead(status, Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)])));
  response.end(body);
};

const sendJson = (response: ServerResponse, status: number, message: string) => send(response, status, { 'Content-Type': 'application/json' }, JSON.stringify({ message }));

export interface LocalHttpServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export type ExtraRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

/** One handler per function that serves a route, loaded once. */
const loadHandlers = async (routes: readonly CompiledRoute[]): Promise<Map<FunctionKey, HttpLambda>> => {
  const handlers = new Map<FunctionKey, HttpLambda>();
  for (const route of routes) {
    if (!handlers.has(route.functionKey)) handlers.set(route.functionKey, await loadHandler<HttpLambda>(FUNCTIONS[route.functionKey]));
  }
  return handlers;
};

/** The API Gateway REST proxy event of a request to `route`. */
const proxyEvent = (request: IncomingMessage, url: URL, route: CompiledRoute, match: RegExpExecArray, body: Buffer): APIGatewayProxyEvent => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return proxyEventOf({
    method: request.method ?? 'GET',
    path: url.pathname,
    resource: route.resource,
    headers,
    query: Object.fromEntries(url.searchParams),
    pathParameters: Object.fromEntries(route.params.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')])),
    body: body.length > 0 ? body.toString('utf8') : null,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
  });
};

/** Routes one request like API Gateway: 404 for an unknown path, 405 for a known path and another method, 413 over 10 MB. */
const requestHandler = (routes: readonly CompiledRoute[], handlers: Map<FunctionKey, HttpLambda>, extraRoutes: ExtraRoute[]) => async (request: IncomingMessage, response: ServerResponse) => {
  if (extraRoutes.some((route) => route(request, response))) return;
  const url = new URL(request.url ?? '/', 'http://localhost');
  const candidates = routes
    .map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
    .filter((candidate): candidate is { route: CompiledRoute; match: RegExpExecArray } => candidate.match !== null);
  if (candidates.length === 0) return sendJson(response, 404, 'Not found');
  const chosen = candidates.find((candidate) => candidate.route.method === request.method);
  if (!chosen) return sendJson(response, 405, 'Method not allowed');
  const body = await readBody(request);
  if (body === 'too-large') return sendJson(response, 413, 'Request Too Long');
  const handler = handlers.get(chosen.route.functionKey);
  if (!handler) return send(response, 500, {}, '');
  const result = await handler(proxyEvent(request, url, chosen.route, chosen.match, body), lambdaContext(chosen.route.functionKey));
  send(response, result.statusCode, result.headers ?? {}, result.body);
};

const listen = async (server: Server, port: number): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
};

/** Starts the server on 127.0.0.1:`port` (0 = any free port). */
export const startHttpServer = async (port: number, extraRoutes: ExtraRoute[] = []): Promise<LocalHttpServer> => {
  const routes = compileRoutes();
  const handle = requestHandler(routes, await loadHandlers(routes), extraRoutes);
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // The handler wrapper catches everything; reaching here is a bug in the local server itself.
      console.error('local server error', error);
      if (!response.headersSent) sendJson(response, 502, 'Bad gateway');
    });
  });
  server.keepAliveTimeout = 5000;
  const actualPort = await listen(server, port);
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
