/*
 * What the domains (stores, services, models) throw when a request cannot be done: errors that
 * say what went wrong in the domain's words and know nothing of HTTP. The HTTP stack turns each
 * into an RFC 9457 problem with ONE table, `PROBLEMS` in functions/core/problems.ts (status,
 * title, headers); handlers and the stack's middlewares alone deal in `HttpError`s.
 */

/** One field-level problem in a request, addressed by its path (e.g. `body.items.0.quantity`). */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/**
 * The rules a request can break that are not "not found" or a state conflict (422): each has a
 * name, the problem type the client sees (`/problems/<name>`), whose title is in the table.
 */
export type RuleName =
  | 'unprocessable-order'
  | 'idempotency-key-reused'
  | 'unknown-user'
  | 'unknown-order'
  | 'self-conversation'
  | 'self-block'
  | 'recipient-gone'
  | 'client-message-id-reused'
  | 'unknown-category'
  | 'category-too-deep'
  | 'invalid-code';

/** Every kind of domain error, by the problem type it becomes. */
export type DomainProblem =
  | 'validation-error'
  | 'unauthorized'
  | 'forbidden'
  | 'blocked'
  | 'not-found'
  | 'conflict'
  | 'concurrent-update'
  | 'insufficient-stock'
  | 'precondition-failed'
  | 'rate-limited'
  | 'too-many-requests'
  | 'payment-provider-error'
  | RuleName;

/**
 * A request the domain refuses. `message` is the detail the client reads (written for them);
 * `errors` names the fields at fault, where there are any.
 */
export abstract class DomainError extends Error {
  abstract readonly problem: DomainProblem;
  readonly errors: readonly FieldError[] | undefined;

  constructor(detail: string, options: { errors?: readonly FieldError[]; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    // A constant: bundles are minified, so a class's own name would not survive into logs.
    this.name = 'DomainError';
    this.errors = options.errors;
  }
}

/** Input the domain cannot use, naming the fields (a cursor from another listing, say). */
export class InvalidInput extends DomainError {
  readonly problem = 'validation-error';
  constructor(detail: string, errors: readonly FieldError[]) {
    super(detail, { errors });
  }
}

/** A credential (a refresh token) that proves nothing: the caller is not signed in. */
export class NotAuthenticated extends DomainError {
  readonly problem = 'unauthorized';
}

/** The caller may not do this, whatever the state. */
export class Forbidden extends DomainError {
  readonly problem = 'forbidden';
}

/** The other user blocked the caller. */
export class Blocked extends DomainError {
  readonly problem = 'blocked';
}

/** No such thing, or not one the caller may see (the two read the same: no existence leak). */
export class NotFound extends DomainError {
  readonly problem = 'not-found';
}

/** The thing is not in a state that allows this (an order already shipped, say). */
export class Conflict extends DomainError {
  readonly problem: 'conflict' | 'concurrent-update' = 'conflict';
}

/**
 * Another request changed the same data at the same moment, more often than retrying could
 * absorb (a transaction conflict). A kind of `Conflict`: whoever retries on one retries on this.
 */
export class ConcurrentUpdate extends Conflict {
  override readonly problem = 'concurrent-update';
  constructor(cause?: unknown) {
    super('Another request changed the same data at the same moment. Try again.', { cause });
  }
}

/** Lines ask for more than is in stock; `errors` names them. */
export class InsufficientStock extends DomainError {
  readonly problem = 'insufficient-stock';
  constructor(errors: readonly FieldError[]) {
    super('Some products do not have enough stock.', { errors });
  }
}

/** The thing changed since the version the caller read (a stale ETag). */
export class PreconditionFailed extends DomainError {
  readonly problem = 'precondition-failed';
}

/** Too many of something in a window; the caller may try again after `retryAfterSeconds`. */
export class RateLimited extends DomainError {
  readonly problem = 'rate-limited';
  readonly retryAfterSeconds: number;
  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Too many requests of one kind (one-time codes) for an address or from a network address in a
 * window; the caller may try again after `retryAfterSeconds`.
 */
export class TooManyRequests extends DomainError {
  readonly problem = 'too-many-requests';
  readonly retryAfterSeconds: number;
  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The payment provider refused or did not answer. The detail is written for the client (whether
 * to retry with the same Idempotency-Key), so it is shown although the status is a 5xx.
 */
export class ProviderFailed extends DomainError {
  readonly problem = 'payment-provider-error';
}

/** A rule of the domain the request breaks (422), named by `rule`. */
export class RuleViolation extends DomainError {
  readonly problem: RuleName;
  constructor(rule: RuleName, detail: string, options: { errors?: readonly FieldError[] } = {}) {
    super(detail, options);
    this.problem = rule;
  }
}

/** A 422 that names one field: the detail is the field's message too. */
export const ruleViolationAt = (rule: RuleName, detail: string, path?: string): RuleViolation =>
  new RuleViolation(rule, detail, path ? { errors: [{ path, message: detail }] } : {});
