import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { GENERIC_PROBLEMS, PROBLEM_TYPES, type ProblemSlug, problemType } from './problems.ts';
import { type ResponseHeader, ROUTES, type RouteDefinition } from './routes.ts';
import { exampleOf } from './samples.ts';
import { clientFrameSchema, NAMED_SCHEMAS, serverFrameSchema } from './schemas.ts';

type JsonObject = Record<string, unknown>;

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. `type` names the problem; see the table of problem types above.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri-reference', pattern: '^/problems/[a-z-]+$' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request id.' },
    errors: {
      type: 'array',
      description: 'Field-level problems (validation errors, stock shortages).',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

/** Response headers by the lower-case name responses use: [component name, header name, header object]. */
const HEADERS: Record<
  ResponseHeader | 'x-request-id' | 'allow' | 'www-authenticate',
  readonly [string, string, JsonObject]
> = {
  'x-request-id': [
    'XRequestId',
    'x-request-id',
    {
      description: 'The id of this request, also in every log line it caused; quote it in a support request.',
      schema: { type: 'string' },
    },
  ],
  etag: [
    'ETag',
    'ETag',
    { description: 'The version of the resource; send it back in `If-Match`.', schema: { type: 'string' } },
  ],
  location: [
    'Location',
    'Location',
    { description: 'Where the created resource lives.', schema: { type: 'string' } },
  ],
  'retry-after': [
    'RetryAfter',
    'Retry-After',
    { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
  ],
  'idempotent-replayed': [
    'IdempotentReplayed',
    'Idempotent-Replayed',
    {
      description: '`true` when this is the stored answer to an earlier request with the same key.',
      schema: { type: 'string', enum: ['true'] },
    },
  ],
  'content-disposition': [
    'ContentDisposition',
    'Content-Disposition',
    { description: 'Suggests saving the body as a file.', schema: { type: 'string' } },
  ],
  'cache-control': [
    'CacheControl',
    'Cache-Control',
    { description: 'How long the answer may be cached.', schema: { type: 'string' } },
  ],
  allow: ['Allow', 'Allow', { description: 'The methods the path accepts.', schema: { type: 'string' } }],
  'www-authenticate': [
    'WwwAuthenticate',
    'WWW-Authenticate',
    { description: '`Bearer`.', schema: { type: 'string' } },
  ],
};

/** How request headers are spelled in the document (HTTP header names are case-insensitive). */
const REQUEST_HEADER_DOCS: Record<string, { name: string; description: string }> = {
  'idempotency-key': {
    name: 'Idempotency-Key',
    description:
      'Makes the request safe to repeat for 24 hours: the same key with the same body answers the first outcome again; with another body it is a 422. Use a new UUID per intent.',
  },
  'if-match': {
    name: 'If-Match',
    description:
      'The `ETag` you read: the change only happens if the resource is still that version (else 412).',
  },
  'if-none-match': {
    name: 'If-None-Match',
    description: 'The `ETag` of the copy you have: if it is still current the answer is 304 without a body.',
  },
  'stripe-signature': {
    name: 'Stripe-Signature',
    description:
      'Stripe’s signature of the exact body bytes, `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (several `v1` while a secret rolls), keyed with the endpoint’s secret; older than 5 minutes, or missing, is a 400 and nothing happens.',
  },
};

/** What API Gateway itself answers, without running a function. */
const GATEWAY_MESSAGES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return rest;
}

/** A response schema: a `$ref` to its named component, or inline. */
function responseSchema(schema: z.ZodMiniType): JsonObject {
  const name = NAMED_SCHEMAS.get(schema);
  return name ? { $ref: `#/components/schemas/${name}` } : jsonSchema(schema, 'output');
}

function parameters(route: RouteDefinition): JsonObject[] {
  const result: JsonObject[] = [];
  for (const [location, schema] of [
    ['path', route.request?.path],
    ['query', route.request?.query],
    ['header', route.request?.headers],
  ] as const) {
    if (!schema) continue;
    const objectSchema = jsonSchema(schema, 'input') as { properties?: JsonObject; required?: string[] };
    for (const [name, property] of Object.entries(objectSchema.properties ?? {})) {
      const doc = location === 'header' ? REQUEST_HEADER_DOCS[name] : undefined;
      result.push({
        name: doc?.name ?? name,
        in: location,
        required: location === 'path' || (objectSchema.required ?? []).includes(name),
        ...(doc ? { description: doc.description } : {}),
        schema: property,
        ...(location === 'path' ? { example: exampleOf(property as JsonObject, name) } : {}),
      });
    }
  }
  return result;
}

/** Statuses (with their problem types) that a route answers because of its shape, not its domain. */
function derivedProblems(route: RouteDefinition): Map<number, ProblemSlug[]> {
  const derived = new Map<number, ProblemSlug[]>();
  const add = (status: number, ...slugs: ProblemSlug[]) =>
    derived.set(status, [...new Set([...(derived.get(status) ?? []), ...slugs])]);
  const { request } = route;
  if (request?.path || request?.query || request?.headers) add(400, 'validation-error');
  // The one middy stack (functions/core/http.ts) bounds every body: a route without one
  // accepts at most 0 bytes.
  add(413, 'payload-too-large');
  if (request?.body) {
    // ... and, for a JSON body, checks media type and JSON before the handler validates it.
    add(400, 'validation-error', 'bad-request');
    if (!request.rawBody) add(415, 'unsupported-media-type');
  }
  if (route.auth !== 'public') add(401, 'unauthorized');
  if (route.auth === 'admin') add(403, 'forbidden');
  add(500, 'internal-error');
  // Every function reads or writes the table (or a secret): its outage, or a deadline reached, is a 503 problem.
  add(503, 'service-unavailable');
  return derived;
}

/** Statuses API Gateway answers for a route by itself (`{"message": ...}`). */
function gatewayStatuses(route: RouteDefinition): number[] {
  // 413 and 431 on every route: any request can carry a body over 10 MB or more than 10 KB of
  // request line and headers, and API Gateway refuses both before routing.
  const statuses = [413, 429, 431, 500, 503];
  if (route.auth !== 'public') statuses.push(401);
  if (route.auth === 'admin') statuses.push(403);
  return statuses;
}

const DERIVED_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `errors` names each bad field.',
  401: 'No valid access token.',
  403: 'The token lacks the `admin` scope.',
  413: 'The body is too large: over this route’s limit (a problem), or over 10 MB (API Gateway).',
  431: 'The request line and headers are over 10 KB (API Gateway).',
  415: 'The body is not application/json.',
  429: 'Throttled (API Gateway), or a limit of this route; wait and retry.',
  500: 'Our fault; nothing about it is in the body (a problem, or API Gateway’s message when the function crashed or timed out).',
  503: 'A service the function needs is unavailable or too slow (a problem with `Retry-After`), or the integration timed out (API Gateway); retry later.',
};

function problemTitle(slug: ProblemSlug, status: number): string {
  const { title } = PROBLEM_TYPES[slug];
  return typeof title === 'string' ? title : (title[status as keyof typeof title] ?? Object.values(title)[0]);
}

function problemContent(status: number, slugs: readonly ProblemSlug[]): JsonObject {
  return {
    schema: {
      allOf: [{ $ref: '#/components/schemas/Problem' }],
      properties: {
        type: { enum: slugs.map(problemType) },
        status: { const: status },
      },
    },
    examples: Object.fromEntries(
      slugs.map((slug) => [
        slug,
        {
          summary: problemType(slug),
          value: {
            type: problemType(slug),
            title: problemTitle(slug, status),
            status,
            detail: PROBLEM_TYPES[slug].description,
            instance: 'd5a2c0f4-8a9e-4e43-9a5e-0c3f1f0b7c11',
            ...(slug === 'validation-error'
              ? { errors: [{ path: 'body.email', message: 'Must be a valid email.' }] }
              : {}),
          },
        },
      ]),
    ),
  };
}

function headerRefs(names: readonly (keyof typeof HEADERS)[]): JsonObject {
  const refs: JsonObject = {};
  for (const name of ['x-request-id', ...names] as const) {
    const [component, header] = HEADERS[name];
    refs[header] = { $ref: `#/components/headers/${component}` };
  }
  return refs;
}

function responses(route: RouteDefinition): JsonObject {
  const derived = derivedProblems(route);
  const gateway = gatewayStatuses(route);
  const statuses = [
    ...new Set([...Object.keys(route.responses).map(Number), ...derived.keys(), ...gateway]),
  ].sort((a, b) => a - b);
  const result: JsonObject = {};
  for (const status of statuses) {
    const spec = route.responses[status];
    const content: JsonObject = {};
    const headers: (keyof typeof HEADERS)[] = [...(spec?.headers ?? [])];
    if (status < 400) {
      if (spec?.schema) {
        const schema = responseSchema(spec.schema);
        content['application/json'] = { schema, example: exampleOf(resolve(schema), 'body') };
      }
      for (const type of spec?.contentTypes ?? []) content[type] = { schema: { type: 'string' } };
    } else {
      const named = spec?.problems ?? [];
      const shaped = derived.get(status) ?? [];
      let slugs = [...new Set([...named, ...shaped])];
      if (slugs.length === 0 && spec) slugs = [...(GENERIC_PROBLEMS[status] ?? [])];
      if (spec && slugs.length === 0) {
        throw new Error(
          `${route.method} ${route.path} ${status}: name its problem types in the route table.`,
        );
      }
      if (slugs.length > 0) content[PROBLEM_MEDIA_TYPE] = problemContent(status, slugs);
      const message = GATEWAY_MESSAGES[status];
      if (gateway.includes(status) && message) {
        content['application/json'] = {
          schema: { $ref: '#/components/schemas/GatewayMessage' },
          example: { message },
        };
      }
      if (status === 401) headers.push('www-authenticate');
      if (status === 429 || status === 503) headers.push('retry-after');
    }
    const derivedDescription =
      status === 413 && !route.request?.body
        ? 'This route takes no body: any body is refused (a problem), one over 10 MB by API Gateway.'
        : DERIVED_DESCRIPTIONS[status];
    result[status] = {
      description: spec?.description ?? derivedDescription ?? `HTTP ${status}.`,
      headers: headerRefs([...new Set(headers)]),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  return result;
}

/** `functions/catalog/get-product.ts` -> `getProduct`: what generated clients call the operation. */
export const operationId = (route: Pick<RouteDefinition, 'entry'>): string =>
  (route.entry.split('/').pop() ?? '')
    .replace(/\.ts$/, '')
    .replace(/-([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());

function operation(route: RouteDefinition): JsonObject {
  const op: JsonObject = {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.tag],
    parameters: parameters(route),
    responses: responses(route),
  };
  if (route.request?.body) {
    const schema = jsonSchema(route.request.body, 'input');
    op.requestBody = {
      required: true,
      ...(route.request.rawBody
        ? {
            description:
              'Read byte for byte (the signature covers the exact bytes), so any media type is accepted.',
          }
        : {}),
      content: { 'application/json': { schema, example: exampleOf(schema, 'body') } },
    };
  }
  if (route.auth !== 'public') {
    op.security = [{ bearer: route.auth === 'admin' ? ['admin'] : [] }];
  }
  if (route.paymentProvider) {
    op.description = `Deployed only where the payment provider is \`${route.paymentProvider}\`${
      route.paymentProvider === 'simulated' ? ' (local, dev): it stands for the card issuer’s page' : ''
    }.`;
    op['x-payment-provider'] = route.paymentProvider;
  }
  return op;
}

const namedSchemas = (): JsonObject =>
  Object.fromEntries([...NAMED_SCHEMAS].map(([schema, name]) => [name, jsonSchema(schema, 'output')]));

/** The JSON Schema behind a `$ref` to a named component (for examples). */
function resolve(schema: JsonObject): JsonObject {
  const ref = typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : undefined;
  if (!ref) return schema;
  const named = [...NAMED_SCHEMAS].find(([, name]) => name === ref)?.[0];
  return named ? jsonSchema(named, 'output') : schema;
}

function problemTable(): string {
  const rows = Object.entries(PROBLEM_TYPES).map(
    ([slug, { description }]) => `| \`${problemType(slug as ProblemSlug)}\` | ${description} |`,
  );
  return ['| type | meaning |', '| --- | --- |', ...rows].join('\n');
}

const DESCRIPTION = `Backend of the shop app.

**Authentication.** \`POST /auth/register\` or \`POST /auth/login\` answer an \`accessToken\` (RS256 JWT,
short-lived; \`expiresIn\` seconds) and a \`refreshToken\`. Send \`Authorization: Bearer <accessToken>\`;
when it expires (401), exchange the refresh token at \`POST /auth/refresh\` for a new pair (the old refresh
token dies; reusing it revokes the session). Admin routes need the \`admin\` scope. A missing, expired
or foreign token is refused by API Gateway itself: \`401 {"message":"Unauthorized"}\` as \`application/json\`
(\`403 {"message":"Forbidden"}\` without the scope).

**Errors.** Every error a function answers is \`application/problem+json\` (RFC 9457) with \`type\`,
\`title\`, \`status\`, \`detail\`, \`instance\` (the request id) and, for invalid fields, \`errors\` with
paths such as \`body.items.0.quantity\`. Each response lists the problem types it can carry:

${problemTable()}

API Gateway answers some statuses without running a function, as \`application/json\`
\`{"message": ...}\`: 401/403 (token), 413 (body over 10 MB), 429 (throttling), 431 (request line and
header values over 10 KB), 500 (a crash or a function timeout) and 503 (the 30 s integration
timeout).

**Headers.** Every response carries \`x-request-id\`. \`Idempotency-Key\` makes orders and payments safe
to retry; \`ETag\`/\`If-Match\` make changes conditional; 429 answers carry \`Retry-After\`.

**Real time (WebSocket).** New messages and read receipts are pushed over a WebSocket API (its URL is
at the top of \`GET /docs\`, and the API stack's output \`WebSocketUrl\`). Connect with the subprotocols
\`['shop.v1', accessToken]\`; a missing or bad token refuses the handshake with 401. The server sends
JSON text frames described by the schema \`ServerFrame\` (\`message\`, \`read\`, \`pong\`, \`error\`); a
client may send \`ClientFrame\` (\`{"type":"ping"}\`, every few minutes, to stay under the 10-minute idle
limit). Delivery is at least once and best effort: dedupe \`message\` frames by \`message.id\` and catch
up with \`GET /conversations\` after reconnecting.`;

/** The file the OpenAPI document is written to beside the `GET /openapi.json` function's bundle. */
export const OPENAPI_DOCUMENT_FILE = 'openapi.json';

/**
 * Writes the OpenAPI document into `dir` (created if needed) and returns the file's path: at
 * synthesis, for the `GET /openapi.json` function to read beside its bundle (`OPENAPI_DOCUMENT`).
 */
export function writeOpenApiDocument(dir: string, routes: readonly RouteDefinition[] = ROUTES): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, OPENAPI_DOCUMENT_FILE);
  writeFileSync(file, JSON.stringify(openApiDocument('/', routes)));
  return file;
}

/**
 * Builds the OpenAPI 3.1 document of the route table: every route (the typed client's and the
 * contract tests' document), or those an environment deploys (the one it serves).
 */
export function openApiDocument(serverUrl = '/', routes: readonly RouteDefinition[] = ROUTES): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as JsonObject)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Shop API', version: '1.0.0', description: DESCRIPTION },
    servers: [{ url: serverUrl }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        Problem: problemSchema,
        ...namedSchemas(),
        ClientFrame: jsonSchema(clientFrameSchema, 'output'),
        ServerFrame: jsonSchema(serverFrameSchema, 'output'),
      },
      headers: Object.fromEntries(Object.values(HEADERS).map(([component, , header]) => [component, header])),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An access token from /auth/register, /auth/login or /auth/refresh (RS256, verified by API Gateway against /.well-known/jwks.json). Scope `admin` (in the `scope` claim) unlocks admin routes.',
        },
      },
    },
  };
}
