import os from 'node:os';

/** Settings of the local Lambda service, like an account's quotas. */
export interface RuntimeLimits {
  /**
   * Concurrent executions of the account: functions without reserved concurrency share what
   * the reserved ones leave (Lambda's default quota is 1,000 per Region).
   */
  readonly accountConcurrency: number;
  /** An environment idle this long is shut down; the next request there is cold again. */
  readonly idleInstanceMs: number;
  /**
   * The init phase's own limit (Lambda's is 10 s), separate from the function timeout. An init
   * that runs over is retried at the first invocation, within the function's timeout.
   */
  readonly initTimeoutMs: number;
  /**
   * How many environments may initialize at once on this machine. Lambda initializes each on
   * hardware of its own; here a burst of cold starts shares a few cores, so inits take turns
   * and each one's clock starts when it really starts, rather than all crawling together.
   */
  readonly concurrentInits: number;
  /**
   * How many environments one function runs at once on this machine. Lambda would start an
   * environment per concurrent request, each on hardware of its own; here 100 of them would
   * share two cores, and each would run past its timeout. So a request beyond this many waits
   * for one of them (not counted against its timeout, as Lambda never made it wait), in a queue
   * of at most `functionQueueDepth` requests for at most `functionQueueWaitMs`; beyond either it
   * is throttled (429). Reserved and account concurrency still throttle at once, as in Lambda.
   */
  readonly functionConcurrency: number;
  /** Requests that may wait for one function's environments (`functionConcurrency`). */
  readonly functionQueueDepth: number;
  /** The longest a request waits for an environment before it is throttled. */
  readonly functionQueueWaitMs: number;
}

export const DEFAULT_RUNTIME_LIMITS: RuntimeLimits = {
  accountConcurrency: 1000,
  idleInstanceMs: 5 * 60_000,
  initTimeoutMs: 10_000,
  concurrentInits: Math.max(2, os.availableParallelism()),
  // Enough to overlap handlers that wait on DynamoDB, few enough that they do not starve each
  // other (or DynamoDB Local) of CPU: 100 at once on 2 cores timed out writes that had succeeded.
  functionConcurrency: Math.max(4, 2 * os.availableParallelism()),
  functionQueueDepth: 1000,
  // Below API Gateway's 30 s integration timeout, so a waiting request gets a 429, not a 503.
  functionQueueWaitMs: 20_000,
};

/** Variables that override the default limits (`LOCAL_ACCOUNT_CONCURRENCY=50 npm start`). */
const LIMIT_VARIABLES = {
  accountConcurrency: { name: 'LOCAL_ACCOUNT_CONCURRENCY', unitMs: 1 },
  idleInstanceMs: { name: 'LOCAL_IDLE_INSTANCE_SECONDS', unitMs: 1000 },
  initTimeoutMs: { name: 'LOCAL_INIT_TIMEOUT_SECONDS', unitMs: 1000 },
  concurrentInits: { name: 'LOCAL_CONCURRENT_INITS', unitMs: 1 },
  functionConcurrency: { name: 'LOCAL_FUNCTION_CONCURRENCY', unitMs: 1 },
  functionQueueDepth: { name: 'LOCAL_FUNCTION_QUEUE_DEPTH', unitMs: 1 },
  functionQueueWaitMs: { name: 'LOCAL_FUNCTION_QUEUE_WAIT_SECONDS', unitMs: 1000 },
} as const satisfies Record<keyof RuntimeLimits, { name: string; unitMs: number }>;

/** The limits set through environment variables; a value that is not a positive number fails fast. */
export function runtimeLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<RuntimeLimits> {
  const limits: Partial<Record<keyof RuntimeLimits, number>> = {};
  for (const [key, { name, unitMs }] of Object.entries(LIMIT_VARIABLES) as [
    keyof RuntimeLimits,
    { name: string; unitMs: number },
  ][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${name} must be a positive number, got "${raw}".`);
    }
    limits[key] = unitMs === 1 ? Math.floor(value) : value * unitMs;
  }
  return limits;
}
