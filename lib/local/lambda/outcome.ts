import type { FunctionSpec } from './spec.ts';
import type { SerializedError } from './worker.ts';

/** What one invocation cost, as Lambda's REPORT line tells (plus CPU, which it does not). */
interface InvokeReport {
  readonly requestId: string;
  readonly coldStart: boolean;
  /** Wall time of the request in the runtime: waiting for an init slot, init and invocation. */
  readonly durationMs: number;
  /** Init duration (the cold start's import), when this request started an environment. */
  readonly initMs?: number;
  /** Wall time of the handler alone, what Lambda bills. */
  readonly handlerMs?: number;
  /** CPU time of the handler on the environment's thread (not of init). */
  readonly cpuMs?: number;
  /** CPU time of the whole process meanwhile: thread-pool work included, an upper bound. */
  readonly processCpuMs?: number;
  /**
   * CPU time of the emulator's own thread during the invocation: what `processCpuMs` holds that
   * is not the function's (HTTP, routing, anything else the main thread did meanwhile).
   */
  readonly mainThreadCpuMs?: number;
  /** V8 heap in use in the environment after the invocation. */
  readonly heapUsedMb?: number;
  /** The lines the handler wrote, when the caller asked to keep them (`captureLogs`) instead of logging them. */
  readonly logs?: readonly string[];
}

export type InvokeOutcome =
  | (InvokeReport & { ok: true; result: unknown })
  | (InvokeReport & {
      ok: false;
      error: SerializedError;
      /** Refused before running (no concurrency left), as Lambda's Invoke API answers 429. */
      throttled?: boolean;
      /** For a throttle: which limit refused it and how to change it, for people (the 429's detail). */
      throttleDetail?: string;
    });

/** Which limit throttled an invocation: reserved or account concurrency (Lambda's), or the local queue. */
export type ThrottleLimit = 'reserved' | 'account' | 'local';

/** How Lambda's Invoke API refuses a request when no concurrency is left. */
export const throttledError = (limit: ThrottleLimit): SerializedError => ({
  errorType: 'TooManyRequestsException',
  errorMessage:
    limit === 'reserved'
      ? 'Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded)'
      : 'Rate Exceeded. (ConcurrentInvocationLimitExceeded)',
});

/**
 * The platform's line for an init phase that failed (JSON log format: `platform.initReport`,
 * what the runbook's queries look for; else the text `INIT_REPORT`). The environment is thrown
 * away, and the next request starts a fresh one, as Lambda does.
 */
export function initReport(
  spec: FunctionSpec,
  durationMs: number,
  failure: { status: 'error'; errorType: string } | { status: 'timeout' },
): string {
  if (spec.environment.AWS_LAMBDA_LOG_FORMAT === 'JSON') {
    return JSON.stringify({
      time: new Date().toISOString(),
      type: 'platform.initReport',
      record: {
        initializationType: 'on-demand',
        phase: 'init',
        ...failure,
        metrics: { durationMs: Number(durationMs.toFixed(3)) },
      },
    });
  }
  const errorType = failure.status === 'error' ? ` Error Type: ${failure.errorType}` : '';
  return `INIT_REPORT Init Duration: ${durationMs.toFixed(2)} ms Phase: init Status: ${failure.status}${errorType}`;
}

/** The error Lambda reports when a function runs past its timeout. */
export const timeoutError = (seconds: number): SerializedError => ({
  errorType: 'Sandbox.Timedout',
  errorMessage: `Task timed out after ${seconds.toFixed(2)} seconds`,
});
