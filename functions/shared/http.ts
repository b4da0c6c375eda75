/**
 * The HTTP side of every handler: turns an API Gateway proxy event into a small request object,
 * runs the route function, logs and counts its answer. Refusals (built with `refusal`, or a thrown
 * `HubError`) are `{ message, errors }` bodies with the partner's status codes, logged without body
 * or credentials. Unknown errors become a bare 500 that reveals nothing.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HubError, PayloadTooLargeError } from './errors';
import { routeMetric } from './metric-names';
import { logger, metrics } from './powertools';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received (base64 decoded when API Gateway encoded it). */
  readonly rawBody: string;
  /** When API Gateway received the request, epoch ms. */
  readonly receivedAt: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly body?: unknown;
  /** A non-JSON body (CSV, say); `body` is ignored when this is set. */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Set on refusals: logged (reason and, for a 5xx, what is known about the failure) and counted as `Refused<status>`. */
  readonly refused?: { readonly reason: string; readonly logDetail?: Readonly<Record<string, unknown>> };
}

export interface HttpHandlerOptions {
  /** Requests with a larger body get 413 before any parsing. */
  readonly maxBodyBytes?: number;
  /**
   * The `Clock` port (domain/ports.ts; `systemClock` from the handler, the composition root): the
   * receive time of a request whose event carries none (API Gateway always sets one).
   */
  readonly clock: { now(): number };
}

const lowerCaseHeaders = (headers: APIGatewayProxyEvent['headers']): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
};

const compact = (record: Record<string, string | undefined> | null | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record ?? {})) if (value !== undefined) out[name] = value;
  return out;
};

/** Builds the handler's request view of an API Gateway (REST, proxy) event. */
export const toHttpRequest = (event: APIGatewayProxyEvent, clock: HttpHandlerOptions['clock']): HttpRequest => ({
  method: event.httpMethod,
  path: event.path,
  pathParameters: compact(event.pathParameters),
  query: compact(event.queryStringParameters),
  headers: lowerCaseHeaders(event.headers),
  rawBody: event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
  receivedAt: event.requestContext?.requestTimeEpoch ?? clock.now(),
});

const toResult = (response: HttpResponse): APIGatewayProxyResult => ({
  statusCode: response.status,
  headers: {
    'Content-Type': response.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json',
    ...response.headers,
  },
  body: response.text ?? (response.body === undefined ? '' : JSON.stringify(response.body)),
});

/** JSON response helper. */
export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

/** A refusal: `{ message, errors? }` (errors only when there are some) with the route's status. */
export const refusal = (
  status: number,
  message: string,
  options: { errors?: readonly string[]; headers?: Readonly<Record<string, string>>; logDetail?: Readonly<Record<string, unknown>> } = {},
): HttpResponse => ({
  status,
  body: options.errors !== undefined && options.errors.length > 0 ? { message, errors: options.errors } : { message },
  ...(options.headers ? { headers: options.headers } : {}),
  refused: { reason: message, ...(options.logDetail ? { logDetail: options.logDetail } : {}) },
});

/** The refusal a `HubError` stands for. */
export const refusalOf = (error: HubError): HttpResponse =>
  refusal(error.status, error.message, { errors: error.errors, headers: error.headers, logDetail: error.logDetail });

/**
 * Logs and counts an answer. Refusals: the status and reason, never the body or credentials; a 5xx
 * (a dependency failed) at ERROR, with what is known about the failure.
 */
const record = (route: string, response: HttpResponse): void => {
  if (!response.refused) {
    metrics.addMetric(routeMetric(route, response.status < 300 ? 'Accepted' : 'Answered'), MetricUnit.Count, 1);
    return;
  }
  const { reason, logDetail } = response.refused;
  if (response.status >= 500) logger.error('request refused', { status: response.status, reason, ...logDetail });
  else logger.info('request refused', { status: response.status, reason });
  metrics.addMetric(routeMetric(route, `Refused${response.status}`), MetricUnit.Count, 1);
};

/** Wraps a route function as a Lambda handler for API Gateway proxy events. */
export const httpHandler =
  (route: string, fn: (request: HttpRequest) => Promise<HttpResponse>, options: HttpHandlerOptions) =>
  async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
    if (context) logger.addContext(context);
    logger.appendKeys({ route });
    try {
      const request = toHttpRequest(event, options.clock);
      const tooLarge = options.maxBodyBytes !== undefined && Buffer.byteLength(request.rawBody, 'utf8') > options.maxBodyBytes;
      const response = tooLarge ? refusalOf(new PayloadTooLargeError(options.maxBodyBytes ?? 0)) : await fn(request);
      record(route, response);
      return toResult(response);
    } catch (error) {
      if (error instanceof HubError) {
        const response = refusalOf(error);
        record(route, response);
        return toResult(response);
      }
      logger.error('unhandled error', error as Error);
      metrics.addMetric(routeMetric(route, 'Error'), MetricUnit.Count, 1);
      return toResult({ status: 500, body: { message: 'Internal server error' } });
    } finally {
      logger.removeKeys(['route']);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
