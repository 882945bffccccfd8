import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/api/openapi.ts';
import { ROUTES, routeKey } from '../../lib/api/routes.ts';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  parameters: Parameter[];
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >;
  requestBody?: { content: Record<string, unknown> };
  security?: unknown[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required: string[]; properties: Record<string, unknown> }> };
}

// Through JSON, as clients receive it: anything that does not serialize would be lost here.
const document = JSON.parse(JSON.stringify(openApiDocument('https://api.example.com'))) as Document;
const operationOf = (route: (typeof ROUTES)[number]): Operation | undefined =>
  document.paths[route.path]?.[route.method.toLowerCase()];

describe('openApiDocument', () => {
  it('is an OpenAPI 3.1.0 document with the given server', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toEqual(expect.any(String));
    expect(document.info.version).toEqual(expect.any(String));
    expect(document.servers).toEqual([{ url: 'https://api.example.com' }]);
  });

  it.each(ROUTES.map((route) => [routeKey(route), route] as const))('documents %s', (_key, route) => {
    expect(operationOf(route)).toBeDefined();
  });

  it('documents nothing that is not in the route table', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('gives every operation a unique operationId', () => {
    const ids = ROUTES.map((route) => operationOf(route)?.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every path parameter of every route as a required path parameter', () => {
    for (const route of ROUTES) {
      const names = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]);
      const declared = (operationOf(route)?.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), routeKey(route)).toEqual(names.sort());
      expect(declared.every((p) => p.required)).toBe(true);
    }
  });

  it('declares the query parameters of GET /products, none of them required', () => {
    const route = ROUTES.find((r) => routeKey(r) === 'GET /products');
    const query = (route ? (operationOf(route)?.parameters ?? []) : []).filter((p) => p.in === 'query');
    expect(query.map((p) => p.name).sort()).toEqual(['category', 'cursor', 'limit']);
    expect(query.some((p) => p.required)).toBe(false);
    expect(query.find((p) => p.name === 'limit')?.schema).toEqual(
      expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
    );
  });

  it('describes every 4xx and 5xx response as application/problem+json with the Problem schema', () => {
    for (const route of ROUTES) {
      for (const [status, response] of Object.entries(operationOf(route)?.responses ?? {})) {
        if (Number(status) < 400) continue;
        expect(response.content, `${routeKey(route)} ${status}`).toEqual({
          'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
        });
      }
    }
  });

  it('documents every response status the route table lists, each with a description', () => {
    for (const route of ROUTES) {
      const responses = operationOf(route)?.responses ?? {};
      expect(Object.keys(responses).sort(), routeKey(route)).toEqual(Object.keys(route.responses).sort());
      for (const response of Object.values(responses))
        expect(response.description).toEqual(expect.any(String));
    }
  });

  it('defines Problem as RFC 9457 problem details with field errors', () => {
    const problem = document.components.schemas.Problem;
    expect(problem?.required.sort()).toEqual(['detail', 'status', 'title', 'type']);
    expect(Object.keys(problem?.properties ?? {})).toEqual(expect.arrayContaining(['errors', 'instance']));
  });

  it('requires a bearer token exactly on routes that are not public', () => {
    for (const route of ROUTES) {
      const operation = operationOf(route);
      if (route.auth === 'public') expect(operation?.security, routeKey(route)).toBeUndefined();
      else
        expect(operation?.security, routeKey(route)).toEqual([
          { bearer: route.auth === 'admin' ? ['admin'] : [] },
        ]);
    }
  });

  it('documents a JSON request body exactly on routes that take one', () => {
    for (const route of ROUTES) {
      const operation = operationOf(route);
      if (route.request?.body)
        expect(operation?.requestBody?.content, routeKey(route)).toHaveProperty(['application/json']);
      else expect(operation?.requestBody, routeKey(route)).toBeUndefined();
    }
  });
});
