import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DomainError } from './domain-errors.ts';
import {
  badRequest,
  HttpError,
  internalError,
  isDependencyFailure,
  payloadTooLarge,
  serviceUnavailable,
  unsupportedMediaType,
} from './errors.ts';
import { observed } from './lambda.ts';
import { logger } from './logger.ts';
import { httpErrorOf } from './problems.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';
import { securityHeaders } from './security-headers.ts';

/** The event a handler sees: API Gateway's payload 2.0, with the JSON body already parsed when the route takes one. */
export interface HttpEvent extends APIGatewayProxyEventV2 {
  /** Parsed JSON body (`undefined` for routes without a body). Still unvalidated: pass it to `parseInput`. */
  jsonBody?: unknown;
}

export type HttpResponse = APIGatewayProxyStructuredResultV2;

/**
 * What a route does with a request body. A route that says nothing takes none: a body of even
 * one byte is a 413 (it accepts at most 0 bytes), so nothing a client sends goes unread.
 * Handlers pass the option matching the route table's `request.body` (a unit test holds them
 * to it).
 */
export interface HttpOptions {
  /** The route takes a JSON body: require `application/json`, enforce the size limit, parse it. */
  readonly jsonBody?: boolean;
  /**
   * The route takes a body its handler reads byte for byte from `event.body` (a signature covers
   * those bytes): only its size is checked, and it must not be empty; any media type.
   */
  readonly rawBody?: boolean;
  /** The catch-all route: a request no route matches is a 404 or 405 whatever its body. */
  readonly ignoreBody?: boolean;
  /** Largest accepted body in bytes, after base64 decoding (routes that take one). */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
/**
 * How long before the function's timeout the handler stops waiting and answers 503: enough for
 * the error middlewares (a log line, the metrics flush: milliseconds) to run. Past the timeout
 * Lambda would kill the environment and the client would get API Gateway's bare 500 instead of
 * a problem it can act on. Kept small: every millisecond of it is taken from slow requests that
 * would still have succeeded (a sign-up's scrypt on a busy machine).
 */
export const DEADLINE_MARGIN_MS = 250;
const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A JSON response with the given status. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export const ok = (body: unknown, headers?: Record<string, string>): HttpResponse => json(200, body, headers);
export const created = (body: unknown, headers?: Record<string, string>): HttpResponse =>
  json(201, body, headers);
export const noContent = (headers: Record<string, string> = {}): HttpResponse => ({
  statusCode: 204,
  headers,
});

/**
 * The typed error a thrown value stands for: itself when it is one; a domain error's problem
 * (the table in problems.ts); a 503 when a dependency was unreachable, throttled or too slow (an
 * SDK error after its retries); otherwise a 500.
 */
export function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) return httpErrorOf(error);
  if (isDependencyFailure(error)) {
    return serviceUnavailable(
      'A service this request needs is unavailable right now. Try again shortly.',
      error,
    );
  }
  return internalError(error);
}

/** Renders any thrown value as RFC 9457 problem+json; internals never reach the body. */
export function problemResponse(error: unknown, instance?: string): HttpResponse {
  const httpError = asHttpError(error);
  const body: Record<string, unknown> = {
    type: `/problems/${httpError.slug}`,
    title: httpError.title,
    status: httpError.statusCode,
    detail: httpError.expose ? httpError.message : 'The server could not complete the request.',
  };
  if (instance) body.instance = instance;
  if (httpError.errors) body.errors = httpError.errors;
  return {
    statusCode: httpError.statusCode,
    headers: { ...httpError.headers, 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(body),
  };
}

function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/** The body's bytes, decoded from base64 when API Gateway encoded them. */
const bodyBytes = (event: HttpEvent): Buffer =>
  Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');

/** Refuses a body over `maxBytes` (413), or an empty one where the route needs one (400). */
function checkSize(bytes: Buffer, maxBytes: number, needed = 'a body'): void {
  if (bytes.length > maxBytes) {
    throw payloadTooLarge(
      maxBytes === 0
        ? `This route takes no body; this one is ${bytes.length} bytes. Send none.`
        : `The body is ${bytes.length} bytes; this route accepts at most ${maxBytes}.`,
    );
  }
  if (bytes.length === 0 && maxBytes > 0) throw badRequest(`This route needs ${needed}.`);
}

/** The route takes no body: any is a 413 (at most 0 bytes). */
const noBody: middy.MiddlewareObj<HttpEvent, HttpResponse> = {
  before: ({ event }) => checkSize(bodyBytes(event), 0),
};

/** The handler reads the exact bytes itself; only their size is checked here. */
function rawBodyLimit(maxBytes: number): middy.MiddlewareObj<HttpEvent, HttpResponse> {
  return { before: ({ event }) => checkSize(bodyBytes(event), maxBytes) };
}

function jsonBodyParser(maxBytes: number): middy.MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    before: ({ event }) => {
      const bytes = bodyBytes(event);
      checkSize(bytes, maxBytes, 'a JSON body');
      if (!isJsonMediaType(event.headers['content-type'])) {
        throw unsupportedMediaType('Send the body as application/json.');
      }
      try {
        event.jsonBody = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw badRequest('The body is not valid JSON.');
      }
    },
  };
}

const problemErrorHandler: middy.MiddlewareObj<HttpEvent, HttpResponse> = {
  onError: (request) => {
    const { error } = request;
    const httpError = asHttpError(error);
    if (httpError.statusCode < 500) {
      logger.info('request rejected', { status: httpError.statusCode, detail: httpError.message });
    } else if (httpError.statusCode === 503) {
      // A dependency's outage, not our bug: logged with its cause, for the runbook's queries.
      logger.error('request failed: service unavailable', {
        status: 503,
        error:
          httpError.cause instanceof Error ? httpError.cause : String(httpError.cause ?? httpError.message),
      });
    } else {
      logger.error('request failed', error instanceof Error ? error : String(error));
    }
    request.response = problemResponse(httpError, request.event.requestContext?.requestId);
  },
};

/**
 * API Gateway's request id, on every log line of the request (`requestId`, the name the access
 * log uses too) and on every answer (`x-request-id`), errors included: a client's bug report
 * quoting it leads straight to the logs. Used right after the logger context, so its `after`
 * and `onError` run last and see the final answer.
 */
const requestIdMiddleware: middy.MiddlewareObj<HttpEvent, HttpResponse> = {
  before: ({ event }) => {
    const requestId = event.requestContext?.requestId;
    if (requestId) logger.appendKeys({ requestId });
  },
  after: tagResponse,
  onError: tagResponse,
};

function tagResponse(request: middy.Request<HttpEvent, HttpResponse>): void {
  const requestId = request.event.requestContext?.requestId;
  if (!requestId || !request.response) return;
  request.response.headers = { ...request.response.headers, [REQUEST_ID_HEADER]: requestId };
}

/**
 * Wraps a handler in the one middy stack every HTTP function uses: configuration checked at
 * cold start, logger context with the request id, metrics flushed, the request id on the
 * answer, lower-cased headers, the body rule of the route (`HttpOptions`: JSON parsed with size
 * and media-type checks, raw bytes with a size check, or none at all), and problem+json errors (a dependency's outage, and a handler still running
 * `DEADLINE_MARGIN_MS` before the function's timeout, answer 503 with `Retry-After`). Handlers
 * add no middlewares of their own.
 */
export function http(
  handler: (event: HttpEvent, context: Context) => Promise<HttpResponse>,
  options: HttpOptions = {},
): middy.MiddyfiedHandler<HttpEvent, HttpResponse> {
  const stack = middy<HttpEvent, HttpResponse>({
    // middy races the handler against the function's remaining time (context.getRemainingTimeInMillis).
    timeoutEarlyInMillis: DEADLINE_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw serviceUnavailable('The request took too long and was stopped. Try again shortly.');
    },
  })
    .use(observed<HttpEvent, HttpResponse>())
    .use(requestIdMiddleware)
    .use(securityHeaders)
    .use(httpHeaderNormalizer())
    .use(problemErrorHandler);
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (options.jsonBody) stack.use(jsonBodyParser(maxBytes));
  else if (options.rawBody) stack.use(rawBodyLimit(maxBytes));
  else if (!options.ignoreBody) stack.use(noBody);
  return stack.handler(handler);
}

/** The version in an `If-Match: "<n>"` header (our ETags are versions), undefined without one; 400 if malformed. */
export function ifMatchVersion(event: HttpEvent): number | undefined {
  const header = event.headers['if-match'];
  if (header === undefined) return undefined;
  const version = Number(/^(?:W\/)?"(\d{1,15})"$/.exec(header.trim())?.[1] ?? Number.NaN);
  if (!Number.isSafeInteger(version)) {
    throw badRequest('If-Match must be an ETag this API returned.', [
      { path: 'header.if-match', message: 'Invalid ETag.' },
    ]);
  }
  return version;
}

/** The ETag of a versioned resource. */
export const etag = (version: number): string => `"${version}"`;
