/**
 * The OpenAPI 3.1 description of the hub, generated from the shared function definitions (which
 * routes exist) and the zod schemas (what their bodies look like). `npm run openapi` writes it to
 * docs/openapi.json; the local server serves it at GET /openapi.json.
 */
import * as z from 'zod/mini';
import { functionDefinitions } from './definitions/functions';
import {
  aliasNewSchema,
  cohortUpsertBodySchema,
  cohortUsersBodySchema,
  currentsBodySchema,
  errorBodySchema,
  heapWebhookBodySchema,
  identifySchema,
} from '../schemas/api-docs';

export type AuthScheme = 'none' | 'brazeBody' | 'apiKey' | 'currentsToken' | 'abTastyToken' | 'heapSignature';

export interface RouteDoc {
  readonly summary: string;
  readonly tag: string;
  readonly auth: AuthScheme;
  readonly body?: z.ZodMiniType;
  /** Status → description. */
  readonly responses: Readonly<Record<string, string>>;
  readonly query?: readonly string[];
}

const refusals = { '401': 'Missing, wrong or rotated-out credential', '429': 'Rate limited (X-RateLimit-* headers)', '503': 'Could not queue the whole request (Retry-After): nothing accepted, or part queued and a retry is safe' };

/** Documentation of every route, keyed `METHOD path`. A test fails when a route lacks an entry. */
export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  'GET /health': { summary: 'Health of every table and queue dependency', tag: 'operations', auth: 'none', responses: { '200': 'All dependencies up', '503': 'A dependency is down' } },
  'POST /partners/{partner}/cohorts': {
    summary: 'Braze partner cohort import: create or rename a cohort (idempotent upsert by cohort_id)',
    tag: 'braze-cohort-import',
    auth: 'brazeBody',
    body: cohortUpsertBodySchema,
    responses: { '201': '{"message":"success","import_id"} — queued', '400': 'Braze validation message', '413': 'Body too large', ...refusals },
  },
  'POST /partners/{partner}/cohorts/users': {
    summary: 'Braze partner cohort import: membership delta (≤ 1,000 identifiers); empty cohort_changes is a credential probe',
    tag: 'braze-cohort-import',
    auth: 'brazeBody',
    body: cohortUsersBodySchema,
    responses: { '201': '{"message":"success","import_id"} — queued', '400': 'Braze validation message', '413': 'Body too large', ...refusals },
  },
  'GET /v1/cohorts': { summary: 'Cohorts with name, source partner, times and member count', tag: 'read-api', auth: 'apiKey', query: ['limit', 'cursor'], responses: { '200': 'A page of cohorts', '401': refusals['401'] } },
  'GET /v1/cohorts/{cohortId}/members': { summary: 'Current members of a cohort, paged', tag: 'read-api', auth: 'apiKey', query: ['limit', 'cursor'], responses: { '200': 'A page of members', '401': refusals['401'], '404': 'Unknown cohort' } },
  'GET /v1/cohorts/{cohortId}/imports/{importId}': { summary: 'The import report of one request', tag: 'read-api', auth: 'apiKey', responses: { '200': 'The report (status queued | applied | failed)', '401': refusals['401'], '404': 'Unknown import' } },
  'GET /v1/users': {
    summary: 'A profile by external_id, alias (alias_label + alias_name), device_id or braze_id, with its identifiers, cohorts and Heap segments',
    tag: 'read-api',
    auth: 'apiKey',
    query: ['external_id', 'alias_label', 'alias_name', 'device_id', 'braze_id'],
    responses: { '200': 'The profile', '400': 'No or conflicting lookup parameters', '401': refusals['401'], '404': 'No such user' },
  },
  'POST /heap/segments/{workspaceId}': {
    summary: 'Heap segment sync webhook (segment.users.sync pages, segment.users.drain), signed with Heap-Hash',
    tag: 'heap',
    auth: 'heapSignature',
    body: heapWebhookBodySchema,
    responses: { '200': 'Page queued, unknown action ignored, or a verified body the hub cannot use kept in the rejects store', '400': 'Missing or malformed Heap-Hash header', '403': 'Wrong HMAC, stale or future timestamp, unknown workspace or unpinned id_token', '413': 'Body too large', '503': refusals['503'] },
  },
  'POST /currents': {
    summary: 'Braze Currents Custom HTTP connector: a batch of up to 100 events; empty body or no events is a credential check',
    tag: 'braze-currents',
    auth: 'currentsToken',
    body: currentsBodySchema,
    query: ['workspace'],
    responses: {
      '200': 'Queued (events that fail the envelope are kept in the rejects store, never the batch)',
      '400': 'Not a JSON object with an events array',
      '401': 'Missing or wrong bearer token (also on an empty batch)',
      '413': 'Body too large: Braze splits the batch',
      '503': refusals['503'],
    },
  },
  'POST /users/alias/new': { summary: 'Braze-shaped: add aliases to users, or create alias-only users (≤ 50)', tag: 'identity', auth: 'apiKey', body: aliasNewSchema, responses: { '201': '{"message":"success","aliases_processed"} with per-item errors', '400': 'Malformed body or more than 50 items', '401': refusals['401'] } },
  'POST /users/identify': { summary: 'Braze-shaped: identify alias-only users with an external_id (merging into an existing user)', tag: 'identity', auth: 'apiKey', body: identifySchema, responses: { '201': '{"message":"success","aliases_processed"} with per-item errors', '400': 'Malformed body or more than 50 items', '401': refusals['401'] } },
  'GET /v1/users/{brazeId}/events': { summary: "A user's stored Currents events in a time range", tag: 'read-api', auth: 'apiKey', query: ['from', 'to', 'type', 'limit', 'cursor'], responses: { '200': 'A page of events', '400': 'Bad range or cursor', '401': refusals['401'], '404': 'Unknown user' } },
  'GET /v1/events': { summary: 'Events of one type in a time range (day-sharded type index)', tag: 'read-api', auth: 'apiKey', query: ['type', 'from', 'to', 'limit', 'cursor'], responses: { '200': 'A page of events', '400': 'Bad range or cursor', '401': refusals['401'] } },
  'GET /v1/currents/rejects': { summary: 'Currents events that failed the envelope, with the reason', tag: 'read-api', auth: 'apiKey', query: ['limit', 'cursor'], responses: { '200': 'A page of rejects', '401': refusals['401'] } },
  'GET /v1/heap/rejects': { summary: 'Heap deliveries whose signature verified but whose body the hub could not use, with the reason', tag: 'read-api', auth: 'apiKey', query: ['limit', 'cursor'], responses: { '200': 'A page of rejects', '401': refusals['401'] } },
  'GET /abtasty/segments': { summary: 'Heap segments with at least one member (AB Tasty hides empty ones)', tag: 'abtasty', auth: 'abTastyToken', responses: { '200': 'Segments with id, name, member_count, last_sync', '401': refusals['401'] } },
  'GET /abtasty/visitors/{visitorId}/segments': { summary: 'The segments a visitor is in now (one Query; ETag / If-None-Match)', tag: 'abtasty', auth: 'abTastyToken', responses: { '200': 'Segments of the visitor', '304': 'Not modified', '400': 'Invalid visitor id', '401': refusals['401'] } },
  'GET /abtasty/segments/{segmentId}/visitors': { summary: 'Members of a segment, paged', tag: 'abtasty', auth: 'abTastyToken', query: ['limit', 'cursor'], responses: { '200': 'A page of visitors', '401': refusals['401'], '404': 'Unknown segment' } },
  'GET /abtasty/segments/{segmentId}/udc.csv': { summary: "The segment in AB Tasty's Universal Data Connector CSV (visitor_id,value)", tag: 'abtasty', auth: 'abTastyToken', query: ['value', 'cursor'], responses: { '200': 'text/csv; X-Next-Cursor when more follows', '401': refusals['401'], '404': 'Unknown segment' } },
};

const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: "The workspace's apiKey" },
  currentsToken: { type: 'http', scheme: 'bearer', description: "The workspace's currentsToken (set in Braze's Custom HTTP connector)" },
  abTastyToken: { type: 'http', scheme: 'bearer', description: "The workspace's abTastyToken" },
  heapSignature: { type: 'apiKey', in: 'header', name: 'Heap-Hash', description: 'ts:<timestamp>,hmac:<HMAC-SHA256(secret, ts + raw body)>, base64 or hex' },
} as const;

const jsonSchema = (schema: z.ZodMiniType): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** Builds the OpenAPI 3.1 document. */
export const buildOpenApi = (version: string): Record<string, unknown> => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [, definition] of functionDefinitions()) {
    for (const route of definition.routes) {
      const doc = ROUTE_DOCS[`${route.method} ${route.path}`];
      if (!doc) throw new Error(`No API documentation for ${route.method} ${route.path}`);
      const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
      const queryParameters = (doc.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
      paths[route.path] ??= {};
      paths[route.path]![route.method.toLowerCase()] = {
        summary: doc.summary,
        tags: [doc.tag],
        ...(doc.auth === 'none' || doc.auth === 'brazeBody' ? { security: [] } : { security: [{ [doc.auth]: [] }] }),
        ...(doc.auth === 'brazeBody' ? { description: 'Braze convention: partner_api_key and client_secret (the data import key) in the JSON body.' } : {}),
        parameters: [...pathParameters, ...queryParameters],
        ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } } } : {}),
        responses: Object.fromEntries(
          Object.entries(doc.responses).map(([status, description]) => [
            status,
            { description, ...(Number(status) >= 400 ? { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : {}) },
          ]),
        ),
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Audience hub', version, description: 'Braze cohort import, Braze Currents, Heap segment sync and AB Tasty pull APIs.' },
    paths,
    components: { securitySchemes: SECURITY_SCHEMES, schemas: { Error: jsonSchema(errorBodySchema) } },
  };
};
