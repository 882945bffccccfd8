import * as z from 'zod/mini';
import { ROUTES, type RouteDefinition } from './routes.ts';

type JsonObject = Record<string, unknown>;

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return rest;
}

function parameters(route: RouteDefinition): JsonObject[] {
  const result: JsonObject[] = [];
  for (const [location, schema] of [
    ['path', route.request?.path],
    ['query', route.request?.query],
  ] as const) {
    if (!schema) continue;
    const objectSchema = jsonSchema(schema, 'input') as { properties?: JsonObject; required?: string[] };
    for (const [name, property] of Object.entries(objectSchema.properties ?? {})) {
      result.push({
        name,
        in: location,
        required: location === 'path' || (objectSchema.required ?? []).includes(name),
        schema: property,
      });
    }
  }
  return result;
}

function operation(route: RouteDefinition): JsonObject {
  const responses: JsonObject = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const isProblem = Number(status) >= 400;
    const content = isProblem
      ? { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
      : spec.schema
        ? { 'application/json': { schema: jsonSchema(spec.schema, 'output') } }
        : undefined;
    responses[status] = content
      ? { description: spec.description, content }
      : { description: spec.description };
  }
  const op: JsonObject = {
    operationId: route.entry.replace(/^functions\//, '').replace(/\.ts$/, ''),
    summary: route.summary,
    tags: [route.tag],
    parameters: parameters(route),
    responses,
  };
  if (route.request?.body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: jsonSchema(route.request.body, 'input') } },
    };
  }
  if (route.auth !== 'public') {
    op.security = [{ bearer: route.auth === 'admin' ? ['admin'] : [] }];
  }
  return op;
}

/** Builds the OpenAPI 3.1 document of every route in the route table. */
export function openApiDocument(serverUrl = '/'): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    (paths[route.path] as JsonObject)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shop API',
      version: '1.0.0',
      description: 'Backend of the shop app. Every error is application/problem+json (RFC 9457).',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
