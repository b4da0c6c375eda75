/** The one HTTP router: route choice from the table, authentication middleware per presentation, and refusals. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteDefinition, RouteKeyOf } from '../../functions/shared/definitions/routes';
import { json, refusal } from '../../functions/shared/http';
import { httpRouter, type RouteHandlers } from '../../functions/shared/router';
import { systemClock } from '../../functions/domain/ports';

const route = (fields: Partial<RouteDefinition> & Pick<RouteDefinition, 'method' | 'path'>): RouteDefinition => ({
  function: 'readApi',
  auth: 'apiKey',
  summary: 's',
  tag: 't',
  responses: { '200': 'ok' },
  ...fields,
});

const TABLE: RouteDefinition[] = [
  route({ method: 'GET', path: '/things' }),
  route({ method: 'GET', path: '/things/{thingId}' }),
  route({ method: 'POST', path: '/things/{thingId}' }),
  route({ method: 'GET', path: '/open', auth: 'public' }),
  route({ method: 'GET', path: '/elsewhere', function: 'eventsApi' }),
];

const event = (method: string, path: string, fields: Partial<APIGatewayProxyEvent> = {}) =>
  ({ httpMethod: method, path, headers: {}, body: null, isBase64Encoded: false, requestContext: { requestTimeEpoch: 1 }, ...fields }) as unknown as APIGatewayProxyEvent;

/** Handlers that answer which route ran and with which caller; the bearer middleware lets `Bearer ok` through. */
const handlers = (seen: string[]) => {
  const table: RouteHandlers<string | undefined> = {
    authenticate: {
      bearer: (request, definition) => {
        seen.push(`auth ${definition.auth}`);
        return Promise.resolve(request.headers.authorization === 'Bearer ok' ? { ok: true, auth: 'caller' } : { ok: false, response: refusal(401, 'Unauthorized access') });
      },
    },
    routes: {
      'GET /things': (_request, caller) => Promise.resolve(json(200, { route: 'list', caller })),
      'GET /things/{thingId}': (request, caller) => Promise.resolve(json(200, { route: 'one', id: request.pathParameters.thingId, caller })),
      'POST /things/{thingId}': () => Promise.resolve(json(201, { route: 'post' })),
      'GET /open': (_request, caller) => Promise.resolve(json(200, { route: 'open', caller: caller ?? null })),
    },
  };
  // The test's own table stands in for readApi's routes.
  return table as unknown as RouteHandlers<string | undefined, RouteKeyOf<'readApi'>>;
};

describe('httpRouter', () => {
  const authorized = { headers: { authorization: 'Bearer ok' } };

  it('picks the route by method and API Gateway resource, then by the path against each template', async () => {
    const seen: string[] = [];
    const handler = httpRouter('readApi', handlers(seen), { routes: TABLE, clock: systemClock });

    const byResource = await handler(event('GET', '/things/7', { resource: '/things/{thingId}', pathParameters: { thingId: '7' }, ...authorized }));
    const byPath = await handler(event('GET', '/things', authorized));
    const post = await handler(event('POST', '/things/7', { resource: '/things/7', ...authorized }));

    expect(JSON.parse(byResource.body)).toEqual({ route: 'one', id: '7', caller: 'caller' });
    expect(JSON.parse(byPath.body)).toEqual({ route: 'list', caller: 'caller' });
    expect(post.statusCode).toBe(201);
    expect(seen).toEqual(['auth apiKey', 'auth apiKey', 'auth apiKey']);
  });

  it('answers the middleware\'s refusal without running the route, and runs public routes without middleware', async () => {
    const seen: string[] = [];
    const handler = httpRouter('readApi', handlers(seen), { routes: TABLE, clock: systemClock });

    const refused = await handler(event('GET', '/things', { resource: '/things' }));
    const open = await handler(event('GET', '/open', { resource: '/open' }));

    expect([refused.statusCode, JSON.parse(refused.body)]).toEqual([401, { message: 'Unauthorized access' }]);
    expect(JSON.parse(open.body)).toEqual({ route: 'open', caller: null });
    expect(seen).toEqual(['auth apiKey']);
  });

  it('answers 404 for a route the function does not serve (another function\'s, or another method)', async () => {
    const handler = httpRouter('readApi', handlers([]), { routes: TABLE, clock: systemClock });

    const answers = await Promise.all([handler(event('GET', '/elsewhere', { resource: '/elsewhere' })), handler(event('DELETE', '/things', authorized)), handler(event('GET', '/nowhere'))]);

    expect(answers.map((answer) => [answer.statusCode, JSON.parse(answer.body)])).toEqual(answers.map(() => [404, { message: 'Not found' }]));
  });

  it('refuses to start when a route of the table has no function in the handler', () => {
    const routes = [...TABLE, route({ method: 'GET', path: '/forgotten' })];

    expect(() => httpRouter('readApi', handlers([]), { routes, clock: systemClock })).toThrow('readApi serves GET /forgotten but has no function for it');
  });
});
