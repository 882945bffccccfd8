import { type DomainError, type DomainProblem, RateLimited, TooManyRequests } from './domain-errors.ts';
import { HttpError } from './errors.ts';

interface ProblemSpec {
  readonly status: number;
  readonly title: string;
  /** Headers the answer carries (`WWW-Authenticate`, `Retry-After`). */
  readonly headers?: (error: DomainError) => Record<string, string>;
  /** A 5xx whose detail was written for the client (how to retry), so it is shown. */
  readonly expose?: true;
}

/**
 * THE table from domain errors to HTTP: each kind of `DomainError` (functions/core/
 * domain-errors.ts) becomes a problem of this status and title, `/problems/<kind>` its type and
 * the error's message its detail. The error handler of the one middy stack (http.ts) renders
 * every domain error through it; the problem types are documented in lib/api/problems.ts.
 */
export const PROBLEMS: Readonly<Record<DomainProblem, ProblemSpec>> = {
  'validation-error': { status: 400, title: 'Your request is not valid' },
  unauthorized: { status: 401, title: 'Unauthorized', headers: () => ({ 'www-authenticate': 'Bearer' }) },
  forbidden: { status: 403, title: 'Forbidden' },
  blocked: { status: 403, title: 'Blocked' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  'concurrent-update': { status: 409, title: 'Concurrent update' },
  'insufficient-stock': { status: 409, title: 'Not enough stock' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'unprocessable-order': { status: 422, title: 'The order cannot be placed' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused' },
  'unknown-user': { status: 422, title: 'No such user' },
  'unknown-order': { status: 422, title: 'No such order' },
  'self-conversation': { status: 422, title: 'Not with yourself' },
  'self-block': { status: 422, title: 'Not yourself' },
  'recipient-gone': { status: 422, title: 'The recipient is gone' },
  'client-message-id-reused': { status: 422, title: 'clientMessageId reused' },
  'unknown-category': { status: 422, title: 'No such category' },
  'category-too-deep': { status: 422, title: 'Categories nest at most 3 levels' },
  'invalid-code': { status: 422, title: 'Invalid code' },
  'rate-limited': {
    status: 429,
    title: 'Too many messages',
    headers: (error): Record<string, string> =>
      error instanceof RateLimited ? { 'retry-after': String(error.retryAfterSeconds) } : {},
  },
  'too-many-requests': {
    status: 429,
    title: 'Too many requests',
    headers: (error): Record<string, string> =>
      error instanceof TooManyRequests ? { 'retry-after': String(error.retryAfterSeconds) } : {},
  },
  'payment-provider-error': { status: 502, title: 'Payment provider error', expose: true },
};

/** The HTTP error a domain error is answered with (see `PROBLEMS`). */
export function httpErrorOf(error: DomainError): HttpError {
  const spec = PROBLEMS[error.problem];
  return new HttpError(spec.status, error.problem, spec.title, error.message, {
    ...(error.errors ? { errors: error.errors } : {}),
    ...(spec.headers ? { headers: spec.headers(error) } : {}),
    ...(spec.expose ? { expose: true } : {}),
    cause: error,
  });
}
