import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { matchPath, pathSpecificity } from '../../functions/core/paths.ts';

// ajv-formats is CommonJS; under ESM its default export is the module object or the function.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

type JsonObject = Record<string, unknown>;
interface MediaType {
  readonly schema?: JsonObject;
}
interface ResponseObject {
  readonly content?: Record<string, MediaType>;
}
/** A parameter of an operation, as the request-side check reads it. */
interface ParameterObject {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema?: JsonObject;
}
/** The part of an OpenAPI operation the contract check reads. */
export interface ContractOperation {
  readonly operationId: string;
  readonly responses: Record<string, ResponseObject>;
  readonly parameters?: readonly ParameterObject[];
  readonly requestBody?: { readonly content?: Record<string, MediaType> };
}
/** The part of an OpenAPI document the contract check reads (as clients receive it, through JSON). */
export interface ContractDocument {
  readonly paths: Record<string, Record<string, ContractOperation>>;
  readonly components: JsonObject;
}

/**
 * What a request no route matches gets: a problem from the `$default` route's catch-all function
 * (`functions/system/route-not-found.ts`), or API Gateway's own 413/431 for a body or headers
 * over its quotas, which it refuses before routing. Not an operation of the document.
 */
const NO_ROUTE: ContractOperation = {
  operationId: '$default',
  responses: {
    ...Object.fromEntries(
      (
        [
          [404, 'not-found'],
          [405, 'method-not-allowed'],
        ] as const
      ).map(([status, slug]) => [
        String(status),
        {
          content: {
            'application/problem+json': {
              schema: {
                allOf: [{ $ref: '#/components/schemas/Problem' }],
                properties: { type: { const: `/problems/${slug}` }, status: { const: status } },
              },
            },
          },
        },
      ]),
    ),
    ...Object.fromEntries(
      [413, 431].map((status) => [
        String(status),
        { content: { 'application/json': { schema: { $ref: '#/components/schemas/GatewayMessage' } } } },
      ]),
    ),
  },
};

/** One HTTP exchange as a client saw it. */
export interface Exchange {
  readonly method: string;
  /** With the query string as sent. */
  readonly url: string;
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /**
   * What was sent, when the caller knows it: then a success is also held to the request side of
   * the document (a body where it describes none, a query value or a header it refuses).
   */
  readonly request?: {
    /** Header names in any case. */
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: string | Uint8Array;
  };
}

/** Where an exchange went: `where` for messages, `key` (method and template) for the validator cache. */
interface At {
  readonly where: string;
  readonly key: string;
}

/**
 * A query value as the document means it: `type: integer` (or `number`) in a query string is
 * the number in plain decimal notation, anything else stays a string (and fails the schema).
 */
function wireValue(schema: JsonObject | undefined, raw: string): unknown {
  const type = schema?.type;
  if (type === 'integer' && /^(?:0|-?[1-9]\d*)$/.test(raw)) return Number(raw);
  if (type === 'number' && /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** Checks exchanges (and WebSocket frames) against one OpenAPI document. */
export interface Contract {
  /** The operation a request reaches, as API Gateway picks it: the most specific matching path. */
  operationFor(method: string, path: string): { template: string; operation: ContractOperation };
  /**
   * Everything about a response that the document does not allow: an undocumented status, a
   * content type the status does not have, a body that does not validate against the schema
   * (unknown fields included: response schemas forbid them). Empty when it conforms.
   */
  violations(exchange: Exchange): string[];
  /** What is wrong with a frame the WebSocket API pushed, by the document's `ServerFrame` schema. */
  frameViolations(frame: unknown): string[];
}

/**
 * The contract of a document: shared by the e2e suite (`test/support/contract.ts`, the document
 * built from the route table) and the fuzzer (`lib/fuzz/`, the document the API serves).
 */
export function createContract(document: ContractDocument): Contract {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: JsonObject): ValidateFunction => {
    let validate = validators.get(key);
    if (!validate) {
      // The document's components ride along, so `#/components/...` references resolve.
      validate = ajv.compile({ ...schema, components: document.components });
      validators.set(key, validate);
    }
    return validate;
  };

  const operationFor: Contract['operationFor'] = (method, path) => {
    const candidates = Object.keys(document.paths)
      .filter((template) => matchPath(template, path))
      .sort((a, b) => {
        const [sa, sb] = [pathSpecificity(a), pathSpecificity(b)];
        for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
          const diff = (sb[i] ?? -1) - (sa[i] ?? -1);
          if (diff !== 0) return diff;
        }
        return 0;
      });
    for (const template of candidates) {
      const operation = document.paths[template]?.[method.toLowerCase()];
      if (operation) return { template, operation };
    }
    return { template: '$default', operation: NO_ROUTE };
  };

  const violations: Contract['violations'] = (exchange) => {
    // As sent: `new URL()` would resolve `..` segments the client sent raw, and the API routes
    // the raw path (`/orders/../payments` reaches `POST /orders/{orderId}/payments`).
    const pathname = rawPathname(exchange.url);
    const method = exchange.method.toUpperCase();
    const { template, operation } = operationFor(method, pathname);
    const where = `${method} ${pathname} (${template === '$default' ? 'no route' : `${method} ${template}`})`;
    const at = { where, key: `${method} ${template}` };
    const response = operation.responses[String(exchange.status)];
    if (!response) {
      return [
        `${where} answered ${exchange.status}, which the document does not list (it lists ${Object.keys(operation.responses).join(', ')}).`,
      ];
    }
    return [...requestViolations(exchange, operation, at), ...responseViolations(exchange, response, at)];
  };

  const responseViolations = (exchange: Exchange, response: ResponseObject, { where, key }: At): string[] => {
    const method = exchange.method.toUpperCase();
    const content = response.content ?? {};
    if (exchange.text === '') {
      return Object.keys(content).length === 0 || method === 'HEAD'
        ? []
        : [
            `${where} answered ${exchange.status} without a body; the document says ${Object.keys(content).join(' or ')}.`,
          ];
    }
    const mediaType = exchange.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    const media = content[mediaType];
    if (!media) {
      return [
        `${where} answered ${exchange.status} as '${exchange.contentType}'; the document says ${Object.keys(content).join(' or ') || 'no body'}.`,
      ];
    }
    if (!mediaType.endsWith('json') || !media.schema) return [];
    let body: unknown;
    try {
      body = JSON.parse(exchange.text);
    } catch {
      return [`${where} answered ${exchange.status} with a body that is not JSON.`];
    }
    const validate = validatorFor(`${key} ${exchange.status} ${mediaType}`, media.schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${where} ${exchange.status} ${mediaType}: body${error.instancePath} ${error.message}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`,
    );
  };

  /**
   * What a success says about the request side: the API took something the document refuses (a
   * body on an operation that takes none, a query value outside its schema, a required header
   * missing). Refusals are not judged here: a 4xx may have reasons no schema shows.
   */
  const requestViolations = (
    exchange: Exchange,
    operation: ContractOperation,
    { where, key }: At,
  ): string[] => {
    const { request } = exchange;
    if (!request || exchange.status < 200 || exchange.status >= 300) return [];
    const found: string[] = [];
    const bodyLength =
      typeof request.body === 'string' ? Buffer.byteLength(request.body) : (request.body?.length ?? 0);
    if (bodyLength > 0 && !operation.requestBody) {
      found.push(
        `${where} accepted a body of ${bodyLength} bytes; the document describes none (answered ${exchange.status}).`,
      );
    }
    const query = new URL(exchange.url).searchParams;
    const headers = new Map(
      Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    for (const [index, parameter] of (operation.parameters ?? []).entries()) {
      const raw =
        parameter.in === 'query'
          ? query.getAll(parameter.name).join(',') || undefined
          : parameter.in === 'header'
            ? headers.get(parameter.name.toLowerCase())
            : undefined;
      if (parameter.in !== 'query' && parameter.in !== 'header') continue;
      if (raw === undefined) {
        if (parameter.required)
          found.push(
            `${where} answered ${exchange.status} without the required ${parameter.in} ${parameter.name}.`,
          );
        continue;
      }
      const validate = validatorFor(`${key} parameter ${index}`, parameter.schema ?? {});
      if (!validate(wireValue(parameter.schema, raw))) {
        found.push(
          `${where} accepted ${parameter.in}.${parameter.name}=${JSON.stringify(raw)}, which the document refuses (${validate.errors?.[0]?.message ?? 'invalid'}); answered ${exchange.status}.`,
        );
      }
    }
    return found;
  };

  const frameViolations: Contract['frameViolations'] = (frame) => {
    const validate = validatorFor('ServerFrame', { $ref: '#/components/schemas/ServerFrame' });
    if (validate(frame)) return [];
    return (validate.errors ?? []).map((error) => `frame${error.instancePath} ${error.message}`);
  };

  return { operationFor, violations, frameViolations };
}

/** The path of a URL exactly as written (no dot-segment resolution), without query or fragment. */
export function rawPathname(url: string): string {
  const afterOrigin = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const path = afterOrigin.split(/[?#]/)[0] ?? '';
  return path === '' ? '/' : path;
}
