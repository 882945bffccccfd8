import type { FieldError } from './domain-errors.ts';

export type { FieldError } from './domain-errors.ts';

/**
 * An error that knows its HTTP status, thrown by handlers and the HTTP stack (the domains throw
 * `DomainError`s, which `problems.ts` maps to these); turned into an RFC 9457 problem+json
 * response in exactly one place (the error middleware in `http.ts`).
 * `expose` says whether `detail` may be shown to the client: by default 4xx do and 5xx do not
 * (an unexpected failure's message may hold internals); a 5xx whose detail was written for
 * the client (e.g. how to retry a provider outage) opts in.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly expose: boolean;
  /** Short slug naming the problem type; becomes `/problems/<slug>` in the response. */
  readonly slug: string;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    slug: string,
    title: string,
    detail: string,
    options: {
      errors?: readonly FieldError[];
      headers?: Record<string, string>;
      cause?: unknown;
      expose?: boolean;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.expose = options.expose ?? statusCode < 500;
    this.slug = slug;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (detail: string, errors?: readonly FieldError[]): HttpError =>
  errors
    ? new HttpError(400, 'validation-error', 'Your request is not valid', detail, { errors })
    : new HttpError(400, 'bad-request', 'Bad request', detail);

export const notFound = (detail: string): HttpError => new HttpError(404, 'not-found', 'Not found', detail);

export const methodNotAllowed = (detail: string, allow: readonly string[]): HttpError =>
  new HttpError(405, 'method-not-allowed', 'Method not allowed', detail, {
    headers: { allow: allow.join(', ') },
  });

export const conflict = (detail: string): HttpError => new HttpError(409, 'conflict', 'Conflict', detail);

export const payloadTooLarge = (detail: string): HttpError =>
  new HttpError(413, 'payload-too-large', 'Payload too large', detail);

export const unsupportedMediaType = (detail: string): HttpError =>
  new HttpError(415, 'unsupported-media-type', 'Unsupported media type', detail);

export const internalError = (cause: unknown): HttpError =>
  new HttpError(
    500,
    'internal-error',
    'Internal server error',
    'The server could not complete the request.',
    {
      cause,
    },
  );

export const preconditionFailed = (detail: string): HttpError =>
  new HttpError(412, 'precondition-failed', 'Precondition failed', detail);

/** How long a client is asked to wait (`Retry-After`) before repeating a request refused with 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * 503 with `Retry-After`: a dependency (DynamoDB, Secrets Manager) could not be reached, was
 * overloaded, or did not answer before the function's deadline. Nothing the request asked for
 * is half done (writes are single items or transactions), so repeating it, with the same
 * `Idempotency-Key` where the route takes one, is safe.
 */
export const serviceUnavailable = (detail: string, cause?: unknown): HttpError =>
  new HttpError(503, 'service-unavailable', 'Service unavailable', detail, {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    cause,
    expose: true,
  });

/** Node's socket errors: the other side refused, reset or never answered the connection. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** AWS error names that mean "too busy or too slow now", not "your request is wrong". */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/**
 * Whether an error (after the SDK's own retries) says that an AWS dependency was unreachable,
 * throttled, timed out or failed on its side (5xx), rather than that our request was wrong: those
 * become 503 `service-unavailable`, never 500. Looks one `cause` deep, where Node and the SDK put
 * the socket's error.
 */
export function isDependencyFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 3; depth++) {
    const shape = current as SdkErrorShape;
    if (typeof shape.code === 'string' && NETWORK_ERROR_CODES.has(shape.code)) return true;
    if (typeof shape.name === 'string' && UNAVAILABLE_ERROR_NAMES.has(shape.name)) return true;
    if (shape.$retryable?.throttling) return true;
    const status = shape.$metadata?.httpStatusCode;
    if (shape.$fault === 'server' || (typeof status === 'number' && status >= 500)) return true;
    current = shape.cause;
  }
  return false;
}
