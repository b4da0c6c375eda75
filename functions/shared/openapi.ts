/**
 * The OpenAPI 3.1 description of the hub, generated from the route table (definitions/routes.ts:
 * which routes exist, what they accept and answer), the credential registry (definitions/
 * credentials.ts: the security schemes) and the zod schemas (what bodies look like). `npm run
 * openapi` writes it to docs/openapi.json; the local server serves it at GET /openapi.json.
 */
import * as z from 'zod/mini';
import { CREDENTIALS, CREDENTIAL_KINDS, type CredentialDefinition } from './definitions/credentials';
import { ROUTES, pathParameterNames, type RouteDefinition } from './definitions/routes';
import { BODY_SCHEMAS, errorBodySchema } from '../schemas/api-docs';

const jsonSchema = (schema: z.ZodMiniType): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** Every credential that has a security scheme, under the scheme's name. */
const securitySchemes = (): Record<string, unknown> => {
  const schemes: Record<string, unknown> = {};
  for (const kind of CREDENTIAL_KINDS) {
    const openApi = (CREDENTIALS[kind] as CredentialDefinition).openApi;
    if (openApi && 'scheme' in openApi) schemes[openApi.scheme] = openApi.securityScheme;
  }
  return schemes;
};

/** `security` (and, for credentials carried in the body, a `description`) of an operation. */
const securityOf = (route: RouteDefinition): Record<string, unknown> => {
  const openApi = route.auth === 'public' ? undefined : (CREDENTIALS[route.auth] as CredentialDefinition).openApi;
  if (openApi && 'scheme' in openApi) return { security: [{ [openApi.scheme]: [] }] };
  return { security: [], ...(openApi ? { description: openApi.operationDescription } : {}) };
};

const responsesOf = (route: RouteDefinition): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(route.responses).map(([status, description]) => [
      status,
      { description, ...(Number(status) >= 400 ? { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : {}) },
    ]),
  );

const operation = (route: RouteDefinition): Record<string, unknown> => ({
  summary: route.summary,
  tags: [route.tag],
  ...securityOf(route),
  parameters: [
    ...pathParameterNames(route.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(route.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
  ],
  ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(BODY_SCHEMAS[route.body]) } } } } : {}),
  responses: responsesOf(route),
});

/** Builds the OpenAPI 3.1 document of `routes` (the route table unless a test passes another). */
export const buildOpenApi = (version: string, routes: readonly RouteDefinition[] = ROUTES): Record<string, unknown> => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Audience hub', version, description: 'Braze cohort import, Braze Currents, Heap segment sync and AB Tasty pull APIs.' },
    paths,
    components: { securitySchemes: securitySchemes(), schemas: { Error: jsonSchema(errorBodySchema) } },
  };
};
