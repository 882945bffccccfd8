/**
 * Timeouts and retries of every AWS SDK client the functions create (DynamoDB, Secrets Manager,
 * API Gateway Management), set explicitly rather than left to the SDK's defaults, which have no
 * request timeout at all: a DynamoDB that stops answering would hold a request until Lambda kills
 * the function (a bare gateway 500, nothing logged by us). With these, one SDK call gives up after
 * at most `MAX_ATTEMPTS` x (`REQUEST_TIMEOUT_MS` + backoff), about 7.8 s, below the functions'
 * 10 s timeout; `http()` also answers a 503 problem before the function's own deadline whatever
 * a handler still waits for. docs/operations.md has the table.
 *
 * Given as options, not as a `NodeHttpHandler` instance: each client builds its handler from them,
 * so nothing more is bundled.
 */

/** Opening a TCP (and TLS) connection: DynamoDB's endpoints take milliseconds. */
export const CONNECTION_TIMEOUT_MS = 1_000;
/** One attempt, from sending to the whole answer read: DynamoDB's p99 is tens of milliseconds. */
export const REQUEST_TIMEOUT_MS = 2_500;
/** The first try and two retries (the SDK's standard mode: jittered backoff, throttling included). */
export const MAX_ATTEMPTS = 3;

/** Spread into an SDK client's configuration: `new DynamoDBClient({ ...AWS_CLIENT_CONFIG })`. */
export const AWS_CLIENT_CONFIG = {
  maxAttempts: MAX_ATTEMPTS,
  requestHandler: {
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Without it a request past `requestTimeout` only logs a warning and goes on waiting.
    throwOnRequestTimeout: true,
  },
} as const;
