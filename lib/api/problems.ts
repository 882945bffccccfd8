/**
 * Every problem type the functions can answer with (`type: /problems/<slug>` in an
 * application/problem+json body), for the OpenAPI document and the docs page. The slugs are
 * written where the errors are thrown (`functions/core/errors.ts` and the domains); a unit test
 * reads the sources and fails when a slug thrown there is missing here, or listed here and never
 * thrown. Which routes answer with which type is in the route table (`problems` of a response)
 * plus what the OpenAPI builder derives from a route's shape (body, auth, cursor).
 */
export const PROBLEM_TYPES = {
  'validation-error': {
    title: 'Your request is not valid',
    description:
      'One or more fields are invalid; `errors` lists each with its path (`body.items.0.quantity`).',
  },
  'bad-request': {
    title: 'Bad request',
    description: 'The request cannot be read: a missing or malformed JSON body, or a change with no field.',
  },
  unauthorized: {
    title: 'Unauthorized',
    description: 'No valid access token, or an invalid refresh token.',
  },
  'invalid-credentials': {
    title: { 401: 'Unauthorized', 403: 'Forbidden' },
    description:
      'Sign-in: the email or password is wrong (401). Password change: the current password is wrong (403).',
  },
  forbidden: { title: 'Forbidden', description: 'The caller may not do this (e.g. not an administrator).' },
  blocked: { title: 'Blocked', description: 'The other user blocked the caller.' },
  'not-found': { title: 'Not found', description: 'No such resource, or not one the caller may see.' },
  'method-not-allowed': {
    title: 'Method not allowed',
    description: 'The path exists with other methods; `Allow` lists them.',
  },
  conflict: {
    title: 'Conflict',
    description: 'The resource is not in a state that allows this, or it changed meanwhile; read it again.',
  },
  'concurrent-update': {
    title: 'Concurrent update',
    description: 'Another request changed the same data at the same moment; repeat the request.',
  },
  'insufficient-stock': {
    title: 'Not enough stock',
    description: 'Some lines ask for more than is in stock; `errors` names them.',
  },
  'precondition-failed': {
    title: 'Precondition failed',
    description: 'The resource changed since the ETag in `If-Match` was read.',
  },
  'payload-too-large': {
    title: 'Payload too large',
    description: 'The body is larger than the route accepts.',
  },
  'unsupported-media-type': {
    title: 'Unsupported media type',
    description: 'Send the body as application/json.',
  },
  'unprocessable-order': {
    title: 'The order cannot be placed',
    description: 'Unknown or deleted products, or products priced in different currencies.',
  },
  'idempotency-key-reused': {
    title: 'Idempotency key reused',
    description: 'The Idempotency-Key was used with a different request; use a new key for a new request.',
  },
  'unknown-user': { title: 'No such user', description: 'The user does not exist (any more).' },
  'unknown-order': {
    title: 'No such order',
    description: 'The order does not exist or is not the caller’s.',
  },
  'self-conversation': {
    title: 'Not with yourself',
    description: 'A conversation needs another participant.',
  },
  'self-block': { title: 'Not yourself', description: 'You cannot block or unblock yourself.' },
  'recipient-gone': {
    title: 'The recipient is gone',
    description: 'The other participant’s account was erased; the conversation can be read, not answered.',
  },
  'client-message-id-reused': {
    title: 'clientMessageId reused',
    description: 'The clientMessageId was used with another body.',
  },
  'unknown-category': {
    title: 'No such category',
    description: 'The category slug or parent names no existing category.',
  },
  'category-too-deep': {
    title: 'Categories nest at most 3 levels',
    description: 'The parent is already at the third level, or is the category itself.',
  },
  'invalid-code': {
    title: 'Invalid code',
    description:
      'The one-time code is wrong, expired, already used, replaced by a newer one or out of tries (5); ask for a new one.',
  },
  'too-many-requests': {
    title: 'Too many requests',
    description:
      'Too many one-time codes asked for this email address or from this network address in the hour; wait for `Retry-After` seconds.',
  },
  'too-many-attempts': {
    title: 'Too many attempts',
    description: 'Too many failed sign-ins for this email; wait for `Retry-After` seconds.',
  },
  'rate-limited': {
    title: 'Too many messages',
    description: 'The sender exceeded the message rate; wait for `Retry-After` seconds.',
  },
  'payment-provider-error': {
    title: 'Payment provider error',
    description:
      'The payment provider refused or did not answer; `detail` says whether to retry with the same key.',
  },
  'service-unavailable': {
    title: 'Service unavailable',
    description:
      'The database or another service this request needs was unreachable, overloaded or too slow. Nothing was half done: wait for `Retry-After` seconds and repeat the request (with the same Idempotency-Key where the route takes one).',
  },
  'internal-error': {
    title: 'Internal server error',
    description: 'Our fault; nothing about it is in the body. Retrying may help.',
  },
} as const satisfies Record<string, { title: string | Record<number, string>; description: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/** The `type` member of a problem with this slug. */
export const problemType = (slug: ProblemSlug): string => `/problems/${slug}`;

/**
 * The problem types a status answers with when the route table names none and the route's
 * shape implies none: the generic errors of `functions/core/errors.ts`.
 */
export const GENERIC_PROBLEMS: Readonly<Partial<Record<number, readonly ProblemSlug[]>>> = {
  400: ['validation-error', 'bad-request'],
  401: ['unauthorized'],
  403: ['forbidden'],
  404: ['not-found'],
  405: ['method-not-allowed'],
  409: ['conflict'],
  412: ['precondition-failed'],
  413: ['payload-too-large'],
  415: ['unsupported-media-type'],
  500: ['internal-error'],
  503: ['service-unavailable'],
};
