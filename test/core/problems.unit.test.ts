import { describe, expect, it } from 'vitest';
import {
  Blocked,
  ConcurrentUpdate,
  Conflict,
  type DomainError,
  type DomainProblem,
  Forbidden,
  InsufficientStock,
  InvalidInput,
  NotAuthenticated,
  NotFound,
  PreconditionFailed,
  ProviderFailed,
  RateLimited,
  RuleViolation,
  ruleViolationAt,
} from '../../functions/core/domain-errors.ts';
import { HttpError } from '../../functions/core/errors.ts';
import { problemResponse } from '../../functions/core/http.ts';
import { PROBLEMS } from '../../functions/core/problems.ts';
import { PROBLEM_TYPES } from '../../lib/api/problems.ts';

/**
 * Domain errors next to the HttpError the same code threw before stores spoke in domain terms:
 * the answers must be the same bytes (status, headers, body), since clients and the e2e tests
 * read them.
 */
const SAME_ANSWERS: readonly [string, DomainError, HttpError][] = [
  [
    'not found',
    new NotFound('No order with id 1.'),
    new HttpError(404, 'not-found', 'Not found', 'No order with id 1.'),
  ],
  [
    'conflict',
    new Conflict('The order is paid.'),
    new HttpError(409, 'conflict', 'Conflict', 'The order is paid.'),
  ],
  [
    'a conflict that outlasted the retries',
    new ConcurrentUpdate(new Error('TransactionConflict')),
    new HttpError(
      409,
      'concurrent-update',
      'Concurrent update',
      'Another request changed the same data at the same moment. Try again.',
    ),
  ],
  [
    'a stale version',
    new PreconditionFailed('The product changed since you read it.'),
    new HttpError(
      412,
      'precondition-failed',
      'Precondition failed',
      'The product changed since you read it.',
    ),
  ],
  [
    'a bad cursor',
    new InvalidInput('The cursor is not valid for this listing.', [
      { path: 'query.cursor', message: 'Invalid cursor.' },
    ]),
    new HttpError(
      400,
      'validation-error',
      'Your request is not valid',
      'The cursor is not valid for this listing.',
      {
        errors: [{ path: 'query.cursor', message: 'Invalid cursor.' }],
      },
    ),
  ],
  [
    'a bad refresh token',
    new NotAuthenticated('The refresh token is not valid.'),
    new HttpError(401, 'unauthorized', 'Unauthorized', 'The refresh token is not valid.', {
      headers: { 'www-authenticate': 'Bearer' },
    }),
  ],
  [
    'forbidden',
    new Forbidden('Only participants.'),
    new HttpError(403, 'forbidden', 'Forbidden', 'Only participants.'),
  ],
  [
    'blocked',
    new Blocked('This user does not accept messages from you.'),
    new HttpError(403, 'blocked', 'Blocked', 'This user does not accept messages from you.'),
  ],
  [
    'short stock',
    new InsufficientStock([{ path: 'body.items.0.quantity', message: 'Not enough stock of p.' }]),
    new HttpError(409, 'insufficient-stock', 'Not enough stock', 'Some products do not have enough stock.', {
      errors: [{ path: 'body.items.0.quantity', message: 'Not enough stock of p.' }],
    }),
  ],
  [
    'the message rate',
    new RateLimited('You can send 30 messages a minute. Try again in 45 s.', 45),
    new HttpError(
      429,
      'rate-limited',
      'Too many messages',
      'You can send 30 messages a minute. Try again in 45 s.',
      {
        headers: { 'retry-after': '45' },
      },
    ),
  ],
  [
    'a rule naming its field',
    ruleViolationAt('self-block', 'You cannot block or unblock yourself.', 'path.userId'),
    new HttpError(422, 'self-block', 'Not yourself', 'You cannot block or unblock yourself.', {
      errors: [{ path: 'path.userId', message: 'You cannot block or unblock yourself.' }],
    }),
  ],
  [
    'a rule naming no field',
    new RuleViolation('idempotency-key-reused', 'This Idempotency-Key was already used.'),
    new HttpError(
      422,
      'idempotency-key-reused',
      'Idempotency key reused',
      'This Idempotency-Key was already used.',
    ),
  ],
  [
    'the payment provider, whose 502 detail is written for the client',
    new ProviderFailed('The payment provider did not answer.', { cause: new Error('socket hang up') }),
    new HttpError(
      502,
      'payment-provider-error',
      'Payment provider error',
      'The payment provider did not answer.',
      {
        expose: true,
      },
    ),
  ],
];

describe('the domain error table (functions/core/problems.ts)', () => {
  it.each(SAME_ANSWERS)('answers %s exactly as the HttpError it replaces', (_what, domain, http) => {
    expect(problemResponse(domain, 'req-1')).toEqual(problemResponse(http, 'req-1'));
  });

  it('maps every domain problem to a documented problem type with its documented title', () => {
    for (const [problem, spec] of Object.entries(PROBLEMS) as [
      DomainProblem,
      (typeof PROBLEMS)[DomainProblem],
    ][]) {
      const documented = PROBLEM_TYPES[problem].title;
      expect(typeof documented === 'string' ? documented : documented[spec.status], problem).toBe(spec.title);
    }
  });

  it('treats a conflict that outlasted the retries as a conflict, for whoever retries on one', () => {
    expect(new ConcurrentUpdate()).toBeInstanceOf(Conflict);
  });
});
