/**
 * The local API Gateway: an HTTP server that routes requests to the same handler modules Lambda
 * runs, as REST API proxy events, and writes their responses back.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { functionDefinitions, type FunctionKey } from '../../functions/shared/definitions/functions';
import { lambdaContext } from './lambda-context';
import { loadHandler, type HttpLambda } from './handlers';

/** API Gateway REST APIs refuse payloads over 10 MB before any function runs. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly functionKey: FunctionKey;
  readonly method: string;
  readonly resource: string;
  readonly pattern: RegExp;
  readonly params: string[];
}

const compileRoutes = (): CompiledRoute[] =>
  functionDefinitions().flatMap(([functionKey, definition]) =>
    definition.routes.map((route) => {
      const params: string[] = [];
      const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([a-zA-Z0-9_]+)\\?\}/g, (_, name: string) => {
        params.push(name);
        return '([^/]+)';
      });
      return { functionKey, method: route.method, resource: route.path, pattern: new RegExp(`^${source}$`), params };
    }),
  );

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

export interface LocalHttpServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export type ExtraRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

/** Starts the server on 127.0.0.1:`port` (0 = any free port). */
export const startHttpServer = async (port: number, extraRoutes: ExtraRoute[] = []): Promise<LocalHttpServer> => {
  const routes = compileRoutes();
  const handlers = new Map<FunctionKey, HttpLambda>();
  for (const route of routes) {
    if (!handlers.has(route.functionKey)) {
      const definition = functionDefinitions().find(([key]) => key === route.functionKey)?.[1];
      if (definition) handlers.set(route.functionKey, await loadHandler<HttpLambda>(definition));
    }
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (extraRoutes.some((route) => route(request, response))) return;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const candidates = routes
      .map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
      .filter((candidate): candidate is { route: CompiledRoute; match: RegExpExecArray } => candidate.match !== null);
    if (candidates.length === 0) return send(response, 404, { 'Content-Type': 'application/json' }, JSON.stringify({ message: 'Not found' }));
    const chosen = candidates.find((candidate) => candidate.route.method === request.method);
    if (!chosen) return send(response, 405, { 'Content-Type': 'application/json' }, JSON.stringify({ message: 'Method not allowed' }));

    const body = await readBody(request);
    if (body === 'too-large') {
      return send(response, 413, { 'Content-Type': 'application/json' }, JSON.stringify({ message: 'Request Too Long' }));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const pathParameters = Object.fromEntries(
      chosen.route.params.map((name, index) => [name, decodeURIComponent(chosen.match[index + 1] ?? '')]),
    );
    const event = {
      resource: chosen.route.resource,
      path: url.pathname,
      httpMethod: request.method ?? 'GET',
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        requestId: randomUUID(),
        requestTimeEpoch: Date.now(),
        httpMethod: request.method ?? 'GET',
        path: url.pathname,
        stage: 'local',
        resourcePath: chosen.route.resource,
        identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1' },
      },
    } as unknown as APIGatewayProxyEvent;
    const handler = handlers.get(chosen.route.functionKey);
    if (!handler) return send(response, 500, {}, '');
    const result = await handler(event, lambdaContext(chosen.route.functionKey));
    send(response, result.statusCode, result.headers ?? {}, result.body);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // The handler wrapper catches everything; reaching here is a bug in the local server itself.
      console.error('local server error', error);
      if (!response.headersSent) send(response, 502, { 'Content-Type': 'application/json' }, JSON.stringify({ message: 'Bad gateway' }));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
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
