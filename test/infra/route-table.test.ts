/**
 * The route table is the single source of the HTTP API: a route added to it appears in the OpenAPI
 * document, the local server's routing, the CDK API (on its function's Lambda) and the reliability
 * suite's authentication matrix — with nothing else to write but the route's handler function.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ROUTES, type RouteDefinition } from '../../functions/shared/definitions/routes';
import { buildOpenApi } from '../../functions/shared/openapi';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES } from '../../lib/stage-config';
import { compileRoutes } from '../../scripts/local/http-server';
import { AUTH_CELLS, authMatrix } from '../integration/reliability/routes';

const added: RouteDefinition = {
  method: 'GET',
  path: '/v1/probes/{probeId}',
  function: 'readApi',
  auth: 'apiKey',
  summary: 'A route that exists only in this test',
  tag: 'read-api',
  query: ['limit'],
  responses: { '200': 'The probe', '401': 'Missing, wrong or rotated-out credential' },
};
const table = [...ROUTES, added];

/** The service stack's template for a route table, bundling off. */
const synthApi = (routes: readonly RouteDefinition[]) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stateful = new StatefulStack(app, 'S-route-table', { config: STAGES.dev });
  return Template.fromStack(new ServiceStack(app, 'V-route-table', { config: STAGES.dev, stateful, routes }));
};

describe('adding a route to the route table', () => {
  it('documents it in the OpenAPI document, with its parameters and its credential\'s security scheme', () => {
    const paths = buildOpenApi('test', table).paths as Record<string, Record<string, unknown>>;

    expect(paths['/v1/probes/{probeId}']?.get).toMatchObject({
      summary: added.summary,
      tags: ['read-api'],
      security: [{ apiKey: [] }],
      parameters: [
        { name: 'probeId', in: 'path', required: true },
        { name: 'limit', in: 'query', required: false },
      ],
    });
    expect((buildOpenApi('test').paths as Record<string, unknown>)['/v1/probes/{probeId}']).toBeUndefined();
  });

  it('routes it in the local HTTP server to the function that serves it', () => {
    const route = compileRoutes(table).find((candidate) => candidate.resource === added.path);

    expect(route).toMatchObject({ functionKey: 'readApi', method: 'GET', params: ['probeId'] });
    expect(route?.pattern.exec('/v1/probes/p-1')?.[1]).toBe('p-1');
    expect(compileRoutes().some((candidate) => candidate.resource === added.path)).toBe(false);
  });

  it('exposes it on the CDK API, as a method of its function\'s Lambda', () => {
    const template = synthApi(table);
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const [probeId] = Object.entries(resources).find(([, resource]) => resource.Properties.PathPart === '{probeId}') ?? [];
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const probeMethods = methods.filter((method) => JSON.stringify(method.Properties.ResourceId).includes(`"${probeId}"`));

    expect(methods).toHaveLength(ROUTES.length + 1);
    expect(probeMethods.map((method) => method.Properties.HttpMethod)).toEqual(['GET']);
    expect(JSON.stringify(probeMethods[0]?.Properties.Integration.Uri)).toContain('readApiFn');
    expect(Object.values(synthApi(ROUTES).findResources('AWS::ApiGateway::Resource')).some((resource) => resource.Properties.PathPart === '{probeId}')).toBe(false);
  });

  it('puts it in the authentication matrix with its credential\'s refusal (apiKey: 401 in every cell)', () => {
    const cells = authMatrix(table).filter((cell) => cell.key === 'GET /v1/probes/{probeId}');

    expect(cells.map((cell) => [cell.cell, cell.status])).toEqual(AUTH_CELLS.map((cell) => [cell, 401]));
    expect(cells[0]?.auth).toEqual({ kind: 'bearer', credential: 'apiKey' });
    expect(authMatrix().some((cell) => cell.key === 'GET /v1/probes/{probeId}')).toBe(false);
  });
});
