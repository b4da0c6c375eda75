/**
 * The API Gateway REST proxy event of one request, as the local HTTP server, the bench's in-process
 * request path and the bundled-handler test hand it to a handler: one builder, so they cannot drift.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface ProxyRequest {
  readonly method: string;
  readonly path: string;
  /** The route's resource template (`/partners/{partner}/cohorts`); the path when it has none. */
  readonly resource?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly body?: string | null;
  readonly sourceIp?: string;
  readonly stage?: string;
}

/** Empty maps become null, as API Gateway sends them. */
const orNull = <T extends object>(map: T | undefined): T | null => (map && Object.keys(map).length > 0 ? map : null);

export const proxyEventOf = (request: ProxyRequest): APIGatewayProxyEvent => {
  const headers = { ...request.headers };
  const resource = request.resource ?? request.path;
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: orNull(request.query ? { ...request.query } : undefined),
    multiValueQueryStringParameters: null,
    pathParameters: orNull(request.pathParameters ? { ...request.pathParameters } : undefined),
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      httpMethod: request.method,
      path: request.path,
      stage: request.stage ?? 'local',
      resourcePath: resource,
      identity: { sourceIp: request.sourceIp ?? '127.0.0.1' },
    },
  } as unknown as APIGatewayProxyEvent;
};
