import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { openApiDocument } from '../../lib/api/openapi.ts';
import { PROBLEM_TYPES } from '../../lib/api/problems.ts';
import { ROUTES, type RouteDefinition, routeKey } from '../../lib/api/routes.ts';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: Record<string, unknown>;
  example?: unknown;
}
interface Media {
  schema: Record<string, unknown>;
  example?: unknown;
  examples?: Record<string, { value: Record<string, unknown> }>;
}
interface Response {
  description: string;
  headers: Record<string, { $ref: string }>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId: string;
  summary: string;
  parameters: Parameter[];
  responses: Record<string, Response>;
  requestBody?: { content: Record<string, Media> };
  security?: unknown[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { required: string[]; properties: Record<string, unknown> }>;
    securitySchemes: Record<string, Record<string, unknown>>;
    headers: Record<string, unknown>;
  };
}

// Through JSON, as clients receive it: anything that does not serialize would be lost here.
const document = JSON.parse(JSON.stringify(openApiDocument('https://api.example.com'))) as Document;
const operationOf = (route: RouteDefinition): Operation => {
  const operation = document.paths[route.path]?.[route.method.toLowerCase()];
  if (!operation) throw new Error(`${routeKey(route)} is not documented`);
  return operation;
};
const route = (key: string): RouteDefinition => {
  const found = ROUTES.find((r) => routeKey(r) === key);
  if (!found) throw new Error(`no route ${key}`);
  return found;
};
const problemTypesOf = (response: Response | undefined): string[] =>
  ((
    response?.content?.['application/problem+json']?.schema.properties as
      | { type: { enum: string[] } }
      | undefined
  )?.type.enum ?? []) as string[];

const ajv = new Ajv2020({ strict: false, validateFormats: false });
/** Validates a value against a schema of the document (its components resolvable). */
const validates = (schema: Record<string, unknown>, value: unknown): boolean =>
  ajv.compile({ ...schema, components: document.components })(value) as boolean;

/**
 * Every problem slug the functions' sources throw: HttpError(status, 'slug', ...), the domain
 * errors they construct (each class's `problem`, read from functions/core/domain-errors.ts) and
 * the rules they name (`RuleViolation('slug', ...)`, `ruleViolationAt('slug', ...)`).
 */
function thrownSlugs(): Set<string> {
  const slugs = new Set<string>();
  const root = path.resolve(import.meta.dirname, '..', '..', 'functions');
  const problemOfClass = new Map(
    [
      ...readFileSync(path.join(root, 'core', 'domain-errors.ts'), 'utf8').matchAll(
        /export class (\w+) extends \w+ \{\n(?:\s+(?:override )?readonly problem(?:: [^=]+)? = '([a-z-]+)')?/g,
      ),
    ].map((match) => [match[1] ?? '', match[2]]),
  );
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const match of source.matchAll(/new HttpError\(\s*\d{3},\s*'([a-z-]+)'/g)) slugs.add(match[1] ?? '');
    for (const match of source.matchAll(/(?:RuleViolation|ruleViolationAt)\(\s*'([a-z][a-z-]*)'/g)) {
      slugs.add(match[1] ?? '');
    }
    for (const match of source.matchAll(/new (\w+)\(/g)) {
      const problem = problemOfClass.get(match[1] ?? '');
      if (problem) slugs.add(problem);
    }
  }
  return slugs;
}

describe('openApiDocument', () => {
  it('validates as an OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Record<string, unknown>,
    );
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('names the given server', () => {
    expect(document.servers).toEqual([{ url: 'https://api.example.com' }]);
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))('documents %s', (_key, r) => {
    expect(operationOf(r).summary).toBe(r.summary);
  });

  it('documents nothing that is not in the route table', () => {
    const documented = Object.entries(document.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('gives every operation a unique camel-case operationId', () => {
    const ids = ROUTES.map((r) => operationOf(r).operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]+$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every path parameter of every route as a required path parameter with an example', () => {
    for (const r of ROUTES) {
      const names = [...r.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]);
      const declared = operationOf(r).parameters.filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), routeKey(r)).toEqual(names.sort());
      for (const p of declared) {
        expect(p.required).toBe(true);
        expect(validates(p.schema, p.example), `${routeKey(r)} ${p.name} example`).toBe(true);
      }
    }
  });

  it('declares the query parameters of GET /products, none of them required', () => {
    const query = operationOf(route('GET /products')).parameters.filter((p) => p.in === 'query');
    expect(query.map((p) => p.name).sort()).toEqual(['category', 'cursor', 'limit']);
    expect(query.some((p) => p.required)).toBe(false);
    expect(query.find((p) => p.name === 'limit')?.schema).toEqual(
      expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
    );
  });

  it('requires Idempotency-Key where a repeat must not act twice, and offers If-Match where changes are conditional', () => {
    for (const key of ['POST /orders', 'POST /orders/{orderId}/payments']) {
      expect(operationOf(route(key)).parameters, key).toContainEqual(
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
      );
    }
    for (const key of ['PATCH /products/{productId}', 'PUT /me/preferences']) {
      expect(operationOf(route(key)).parameters, key).toContainEqual(
        expect.objectContaining({ name: 'If-Match', in: 'header', required: false }),
      );
    }
  });

  it('documents every status the route table lists, each with a description and x-request-id', () => {
    for (const r of ROUTES) {
      const responses = operationOf(r).responses;
      expect(Object.keys(responses), routeKey(r)).toEqual(
        expect.arrayContaining(Object.keys(r.responses).map(String)),
      );
      for (const [status, response] of Object.entries(responses)) {
        expect(response.description, `${routeKey(r)} ${status}`).toEqual(expect.any(String));
        expect(response.headers['x-request-id'], `${routeKey(r)} ${status}`).toEqual({
          $ref: '#/components/headers/XRequestId',
        });
      }
    }
  });

  it('documents what API Gateway answers by itself: 413, 429, 431, 500 and 503 everywhere, 401 on protected routes, 403 on admin routes', () => {
    for (const r of ROUTES) {
      const responses = operationOf(r).responses;
      const gatewayStatuses = Object.entries(responses)
        .filter(
          ([, response]) =>
            response.content?.['application/json']?.schema.$ref === '#/components/schemas/GatewayMessage',
        )
        .map(([status]) => Number(status));
      const expected = [413, 429, 431, 500, 503];
      if (r.auth !== 'public') expected.push(401);
      if (r.auth === 'admin') expected.push(403);
      expect(gatewayStatuses, routeKey(r)).toEqual(expect.arrayContaining(expected));
    }
  });

  it('describes every error a function answers as problem+json listing its problem types, each with an example', () => {
    const known = Object.keys(PROBLEM_TYPES).map((slug) => `/problems/${slug}`);
    for (const r of ROUTES) {
      for (const [status, response] of Object.entries(operationOf(r).responses)) {
        if (Number(status) < 400) continue;
        const media = response.content?.['application/problem+json'];
        if (!media) {
          // Only API Gateway's own refusals may lack a problem body.
          expect(
            [429, 413, 431].includes(Number(status)) && !r.responses[Number(status)],
            `${routeKey(r)} ${status}`,
          ).toBe(true);
          continue;
        }
        const types = problemTypesOf(response);
        expect(types.length, `${routeKey(r)} ${status}`).toBeGreaterThan(0);
        for (const type of types) {
          expect(known, `${routeKey(r)} ${status}`).toContain(type);
          const example = Object.values(media.examples ?? {}).find((e) => e.value.type === type);
          expect(example && validates(media.schema, example.value), `${routeKey(r)} ${status} ${type}`).toBe(
            true,
          );
        }
      }
    }
  });

  it('lists the shape-derived problems: any body can be too large (a route without one takes 0 bytes), not JSON or invalid; protected routes 401', () => {
    for (const r of ROUTES) {
      const responses = operationOf(r).responses;
      expect(problemTypesOf(responses[413]), routeKey(r)).toContain('/problems/payload-too-large');
      if (r.request?.body) {
        expect(problemTypesOf(responses[400]), routeKey(r)).toEqual(
          expect.arrayContaining(['/problems/validation-error', '/problems/bad-request']),
        );
        // Raw bytes (a signed webhook) are taken in any media type.
        if (r.request.rawBody) expect(responses[415], routeKey(r)).toBeUndefined();
        else
          expect(problemTypesOf(responses[415]), routeKey(r)).toContain('/problems/unsupported-media-type');
      }
      if (r.auth !== 'public')
        expect(problemTypesOf(responses[401]), routeKey(r)).toContain('/problems/unauthorized');
      expect(problemTypesOf(responses[500]), routeKey(r)).toEqual(['/problems/internal-error']);
    }
  });

  it('lists every problem type the functions throw, and no type they never throw', () => {
    const thrown = thrownSlugs();
    // The generic ones are thrown through factories in functions/core (errors.ts, auth.ts).
    const errorsSource = readFileSync(
      path.resolve(import.meta.dirname, '../../functions/core/errors.ts'),
      'utf8',
    );
    const authSource = readFileSync(
      path.resolve(import.meta.dirname, '../../functions/core/auth.ts'),
      'utf8',
    );
    for (const match of `${errorsSource}\n${authSource}`.matchAll(/HttpError\(\s*\d{3},\s*'([a-z-]+)'/g))
      thrown.add(match[1] ?? '');
    thrown.add('validation-error');
    expect([...thrown].sort()).toEqual(Object.keys(PROBLEM_TYPES).sort());
  });

  it('gives every JSON success response a schema and an example that validates against it', () => {
    for (const r of ROUTES) {
      for (const [status, response] of Object.entries(operationOf(r).responses)) {
        if (Number(status) >= 300) continue;
        const media = response.content?.['application/json'];
        if (!media) {
          expect(
            Number(status) === 204 || r.responses[Number(status)]?.contentTypes,
            `${routeKey(r)} ${status}`,
          ).toBeTruthy();
          continue;
        }
        expect(validates(media.schema, media.example), `${routeKey(r)} ${status} example`).toBe(true);
      }
    }
  });

  it('documents a JSON request body, with a valid example, exactly on routes that take one', () => {
    for (const r of ROUTES) {
      const body = operationOf(r).requestBody;
      if (!r.request?.body) {
        expect(body, routeKey(r)).toBeUndefined();
        continue;
      }
      const media = body?.content['application/json'];
      expect(media, routeKey(r)).toBeDefined();
      expect(validates(media?.schema ?? {}, media?.example), `${routeKey(r)} request example`).toBe(true);
    }
  });

  describe('documents everything a handler reads, and reads nothing it does not document', () => {
    const root = path.resolve(import.meta.dirname, '..', '..');
    /**
     * Headers a handler may read without documenting them: content negotiation every HTTP client
     * does by itself, and what API Gateway sets (never the client).
     */
    const TRANSPORT_HEADERS = new Set(['accept-encoding', 'x-forwarded-proto']);
    /** Helpers in functions/core that read a request header for a handler. */
    const HEADER_HELPERS: Record<string, string> = { ifMatchVersion: 'if-match' };
    const sourceOf = (r: RouteDefinition) => readFileSync(path.join(root, r.entry), 'utf8');
    const documentedHeaders = (r: RouteDefinition) =>
      operationOf(r)
        .parameters.filter((p) => p.in === 'header')
        .map((p) => p.name.toLowerCase());

    it.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s', (_key, r) => {
      const source = sourceOf(r);
      const read = new Set<string>();
      for (const match of source.matchAll(/event\.headers(?:\[['"]([a-z0-9-]+)['"]\]|\.([a-z0-9]+))/g))
        read.add(match[1] ?? match[2] ?? '');
      for (const [helper, header] of Object.entries(HEADER_HELPERS))
        if (source.includes(`${helper}(`)) read.add(header);
      if (/parseInput\(\w+, event\.headers/.test(source)) {
        expect(r.request?.headers, 'parses headers with a schema the route does not document').toBeDefined();
      }
      const undocumented = [...read].filter(
        (h) => !TRANSPORT_HEADERS.has(h) && !documentedHeaders(r).includes(h),
      );
      expect(undocumented, 'reads headers the document does not list').toEqual([]);
      expect(/event\.queryStringParameters/.test(source), 'reads the query').toBe(
        r.request?.query !== undefined,
      );
      expect(/event\.pathParameters/.test(source), 'reads path parameters').toBe(
        r.request?.path !== undefined,
      );
      // The body rule of the one http() stack follows the route table: a JSON body, raw bytes, or none.
      const takesJson = r.request?.body !== undefined && !r.request.rawBody;
      expect(/jsonBody: true/.test(source), 'passes { jsonBody: true }').toBe(takesJson);
      expect(/rawBody: true/.test(source), 'passes { rawBody: true }').toBe(r.request?.rawBody === true);
      expect(/event\.jsonBody/.test(source), 'reads event.jsonBody').toBe(takesJson);
      expect(/event\.body\b/.test(source), 'reads event.body').toBe(r.request?.rawBody === true);
      expect(operationOf(r).requestBody !== undefined, 'documents a body').toBe(
        r.request?.body !== undefined,
      );
    });
  });

  describe('never accepts, in the document, a value the API refuses (probes per field)', () => {
    /** Zod's verdict on one field: whether any issue lies at that path. */
    const apiRefuses = (schema: z.ZodMiniType, input: Record<string, unknown>, field: string) =>
      (schema.safeParse(input).error?.issues ?? []).some((issue) => issue.path.join('.') === field);
    const stringProbes = (example: unknown) => ['', ' ', ' \t\n ', `  ${String(example)}  `, String(example)];

    it.each(ROUTES.filter((r) => r.request?.body).map((r) => [routeKey(r), r] as const))(
      '%s body',
      (_key, r) => {
        const media = operationOf(r).requestBody?.content['application/json'];
        const schema = media?.schema as { properties?: Record<string, { type?: string }> };
        const example = media?.example as Record<string, unknown>;
        for (const [field, property] of Object.entries(schema.properties ?? {})) {
          if (property.type !== 'string') continue;
          for (const probe of stringProbes(example[field] ?? 'x')) {
            const input = { ...example, [field]: probe };
            if (!validates(media?.schema ?? {}, input)) continue;
            expect(
              apiRefuses(r.request?.body as z.ZodMiniType, input, field),
              `${field}=${JSON.stringify(probe)}: the document accepts it, the API refuses it`,
            ).toBe(false);
          }
        }
      },
    );

    const queryIntegers = ROUTES.flatMap((r) =>
      operationOf(r)
        .parameters.filter((p) => p.in === 'query' && p.schema.type === 'integer')
        .map((p) => [`${routeKey(r)} ?${p.name}`, r, p] as const),
    );
    it.each(queryIntegers)(
      '%s: the API takes exactly the integers the document does',
      (_key, r, parameter) => {
        for (const probe of ['10', '1', '0', '0x10', '1e1', '010', ' 10 ', '+5', '-0', '10.0', '', 'ten']) {
          const wire = /^(?:0|-?[1-9]\d*)$/.test(probe) ? Number(probe) : probe;
          const documented = validates(parameter.schema, wire);
          const refused = apiRefuses(
            r.request?.query as z.ZodMiniType,
            { [parameter.name]: probe },
            parameter.name,
          );
          expect(refused, `${parameter.name}=${JSON.stringify(probe)}`).toBe(!documented);
        }
      },
    );
  });

  it('forbids unknown fields in the named response schemas, so an undocumented field fails the contract tests', () => {
    for (const name of ['Product', 'Order', 'Account', 'Session', 'Message', 'Conversation']) {
      expect(document.components.schemas[name], name).toHaveProperty('additionalProperties', false);
    }
  });

  it('requires a bearer JWT exactly on routes that are not public, with the admin scope on admin routes', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    for (const r of ROUTES) {
      const operation = operationOf(r);
      if (r.auth === 'public') expect(operation.security, routeKey(r)).toBeUndefined();
      else expect(operation.security, routeKey(r)).toEqual([{ bearer: r.auth === 'admin' ? ['admin'] : [] }]);
    }
  });

  it('documents the response headers ETag, Location, Retry-After and Idempotent-Replayed where they are sent', () => {
    const headersOf = (key: string, status: number) =>
      Object.keys(operationOf(route(key)).responses[status]?.headers ?? {});
    expect(headersOf('GET /me/preferences', 200)).toContain('ETag');
    expect(headersOf('POST /products', 201)).toEqual(expect.arrayContaining(['ETag', 'Location']));
    expect(headersOf('POST /orders', 201)).toEqual(
      expect.arrayContaining(['Location', 'Idempotent-Replayed']),
    );
    expect(headersOf('POST /auth/login', 429)).toContain('Retry-After');
    expect(headersOf('GET /me', 401)).toContain('WWW-Authenticate');
  });

  it('documents the WebSocket frames as ClientFrame and ServerFrame, and says how to connect', () => {
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['ClientFrame', 'ServerFrame']),
    );
    expect(validates({ $ref: '#/components/schemas/ClientFrame' }, { type: 'ping' })).toBe(true);
    expect(validates({ $ref: '#/components/schemas/ServerFrame' }, { type: 'pong' })).toBe(true);
    expect(validates({ $ref: '#/components/schemas/ServerFrame' }, { type: 'surprise' })).toBe(false);
    expect(document.info.description).toContain('shop.v1');
  });
});
