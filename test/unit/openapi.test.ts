import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROUTES } from '../../functions/shared/definitions/routes';
import { buildOpenApi } from '../../functions/shared/openapi';
import { version } from '../../package.json';

type Paths = Record<string, Record<string, { security: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }>>;

describe('OpenAPI description', () => {
  const document = buildOpenApi(version) as { openapi: string; paths: Paths };
  const routes = ROUTES;

  it('lists every route that exists, and no route that does not', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));

    expect(documented.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
    // Every route of the table carries its documentation (the table is the only place it is written).
    for (const route of routes) expect({ route: route.path, summary: route.summary.length > 0, tag: route.tag.length > 0, responses: Object.keys(route.responses).length > 0 }).toEqual({ route: route.path, summary: true, tag: true, responses: true });
  });

  it('is OpenAPI 3.1 with a request body schema for every POST and an error schema on every refusal', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (method === 'post') expect({ path, body: operation.requestBody !== undefined }).toEqual({ path, body: true });
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) expect(JSON.stringify(response)).toContain('#/components/schemas/Error');
        }
      }
    }
  });

  it('describes the Braze cohort bodies from the validation schemas (cohort_changes items are objects of id lists)', () => {
    const body = JSON.stringify(document.paths['/partners/{partner}/cohorts/users']?.post?.requestBody);
    expect(body).toContain('cohort_changes');
    expect(body).toContain('user_ids');
    expect(body).toContain('should_remove');
  });

  it('is checked in up to date (run `npm run openapi` after changing routes or schemas)', () => {
    const committed = JSON.parse(readFileSync(resolve(__dirname, '../../docs/openapi.json'), 'utf8')) as unknown;
    expect(committed).toEqual(document);
  });
});
