import { randomUUID } from 'node:crypto';
import { Instance } from './instance.ts';
import {
  type InvokeOutcome,
  initReport,
  type ThrottleLimit,
  throttledError,
  timeoutError,
} from './outcome.ts';
import { type ConcurrencyPool, LocalRuntime, Semaphore } from './runtime.ts';
import type { FunctionSpec } from './spec.ts';
import type { SerializedError, WorkerReply } from './worker.ts';

type StartResult =
  | { ok: true; instance: Instance; initMs: number; startedAt: number }
  | { ok: false; timedOut: boolean; error: SerializedError; startedAt: number };

/** Resolves with `fallback` once `ms` have passed, unless `promise` settles first. */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const TIMED_OUT = Symbol('timed out');

export interface LocalFunctionOptions {
  readonly onLog?: (line: string) => void;
  /** The local Lambda service it runs in; a private one with default limits when omitted. */
  readonly runtime?: LocalRuntime;
}

/**
 * A function as Lambda runs it: each concurrent request gets an execution environment of
 * its own (a worker thread), cold on first use and warm after, up to the function's reserved
 * concurrency (else what the account has left), beyond which requests are throttled. Init
 * has its own limit; a run past the timeout kills its environment; idle environments are
 * shut down after a while. Unlike Lambda, one machine runs them all: past the runtime's
 * `functionConcurrency` a request waits (in a bounded queue) for a busy environment instead of
 * starting one more (lib/local/lambda/limits.ts).
 */
export class LocalFunction {
  #spec: FunctionSpec;
  private readonly idle: Instance[] = [];
  /** Environments of replaced code still busy with a request: they finish it, then go. */
  private readonly retired = new Set<Instance>();
  private readonly all = new Set<Instance>();
  private readonly onLog: (line: string) => void;
  private readonly runtime: LocalRuntime;
  private readonly pool: ConcurrencyPool;
  /** This machine's environments of the function (`functionConcurrency`), with their queue. */
  private readonly slots: Semaphore;
  private readonly observers = new Set<(outcome: InvokeOutcome) => void>();

  constructor(spec: FunctionSpec, options: LocalFunctionOptions | ((line: string) => void) = {}) {
    const { onLog, runtime } =
      typeof options === 'function' ? { onLog: options, runtime: undefined } : options;
    this.#spec = spec;
    this.onLog = onLog ?? ((line) => console.log(line));
    this.runtime = runtime ?? new LocalRuntime();
    this.pool = this.runtime.poolFor(spec);
    this.slots = new Semaphore(this.runtime.limits.functionConcurrency);
  }

  /** Its code and configuration; `replace` swaps them. */
  get spec(): FunctionSpec {
    return this.#spec;
  }

  /** Execution environments alive now (busy or idle). */
  get instanceCount(): number {
    return this.all.size;
  }

  /** Calls `listener` with every invocation's outcome (the bench reads durations from it). */
  observe(listener: (outcome: InvokeOutcome) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /**
   * Runs one request. With `captureLogs`, the lines the handler writes are not logged but
   * returned in the outcome (`logs`), for the caller to log or drop (quiet schedules).
   */
  async invoke(event: unknown, options: { readonly captureLogs?: boolean } = {}): Promise<InvokeOutcome> {
    const requestId = randomUUID();
    const started = performance.now();
    const { functionQueueDepth, functionQueueWaitMs } = this.runtime.limits;
    // The wait for a local environment comes first and is not part of the function's timeout.
    const slot = await this.slots.acquireWithin(functionQueueDepth, functionQueueWaitMs);
    let outcome: InvokeOutcome;
    if (!slot) {
      outcome = this.throttled(requestId, started, 'local');
    } else if (!this.pool.tryAcquire()) {
      slot();
      outcome = this.throttled(
        requestId,
        started,
        this.spec.reservedConcurrency === undefined ? 'account' : 'reserved',
      );
    } else {
      try {
        outcome = await this.run(event, requestId, started, options.captureLogs === true);
      } finally {
        this.pool.release();
        slot();
      }
    }
    for (const observer of this.observers) observer(outcome);
    return outcome;
  }

  /** A refused invocation: which limit refused it, and how to change that limit. */
  private throttled(requestId: string, started: number, limit: ThrottleLimit): InvokeOutcome {
    const name = this.spec.logicalId;
    const limits = this.runtime.limits;
    const detail = {
      reserved: `${name} is at its reserved concurrency (${this.spec.reservedConcurrency}): ReservedConcurrentExecutions in the template.`,
      account: `The account's concurrency (${limits.accountConcurrency}, less what functions reserve) is in use: LOCAL_ACCOUNT_CONCURRENCY.`,
      local: `${name} has ${limits.functionConcurrency} environments busy and ${limits.functionQueueDepth} requests waiting, or this one waited ${limits.functionQueueWaitMs / 1000} s: LOCAL_FUNCTION_CONCURRENCY, LOCAL_FUNCTION_QUEUE_DEPTH, LOCAL_FUNCTION_QUEUE_WAIT_SECONDS.`,
    }[limit];
    return {
      ok: false,
      throttled: true,
      throttleDetail: detail,
      requestId,
      coldStart: false,
      durationMs: performance.now() - started,
      error: throttledError(limit),
    };
  }

  /** Logs lines an invocation kept apart (`captureLogs`), as they would have been logged. */
  writeLogs(lines: readonly string[]): void {
    for (const line of lines) this.onLog(line);
  }

  private async run(
    event: unknown,
    requestId: string,
    started: number,
    captureLogs: boolean,
  ): Promise<InvokeOutcome> {
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const report = { requestId, coldStart: false };
    const elapsed = () => performance.now() - started;
    let instance = this.takeIdle();
    let initMs: number | undefined;
    let budgetMs = timeoutMs;
    if (!instance) {
      report.coldStart = true;
      let start = await this.start(this.runtime.limits.initTimeoutMs);
      if (!start.ok && start.timedOut) {
        // Lambda gives the init phase 10 s; when it runs over, the init is tried again as part
        // of the first invocation, which then has the function's timeout for init and handler.
        this.onLog(initReport(this.spec, this.runtime.limits.initTimeoutMs, { status: 'timeout' }));
        start = await this.start(timeoutMs);
        if (start.ok) budgetMs = timeoutMs - (performance.now() - start.startedAt);
      }
      if (!start.ok) {
        const error = start.timedOut ? timeoutError(this.spec.timeoutSeconds) : start.error;
        return { ...report, ok: false, durationMs: elapsed(), error };
      }
      instance = start.instance;
      initMs = start.initMs;
    }
    const deadline = Date.now() + budgetMs;
    const mainCpuBefore = process.threadCpuUsage();
    const message = { type: 'invoke', requestId, event, deadline } as const;
    const answered = await within<{ reply: WorkerReply; lines?: string[] }, typeof TIMED_OUT>(
      captureLogs ? instance.invokeCapturing(message) : instance.invoke(message).then((reply) => ({ reply })),
      budgetMs,
      TIMED_OUT,
    );
    const durationMs = elapsed();
    if (answered === TIMED_OUT) {
      this.discard(instance);
      return { ...report, ok: false, durationMs, initMs, error: timeoutError(this.spec.timeoutSeconds) };
    }
    this.putIdle(instance);
    const { reply, lines } = answered;
    if (reply.type !== 'result' && reply.type !== 'error') {
      return {
        ...report,
        ok: false,
        durationMs,
        initMs,
        error: { errorType: 'Runtime.Unknown', errorMessage: 'unexpected reply' },
      };
    }
    const mainCpu = process.threadCpuUsage(mainCpuBefore);
    const measured = {
      ...report,
      durationMs,
      initMs,
      handlerMs: reply.handlerMs,
      cpuMs: reply.cpuMs,
      processCpuMs: reply.processCpuMs,
      mainThreadCpuMs: (mainCpu.user + mainCpu.system) / 1000,
      heapUsedMb: reply.heapUsedMb,
      ...(lines ? { logs: lines } : {}),
    };
    return reply.type === 'result'
      ? { ...measured, ok: true, result: reply.result }
      : { ...measured, ok: false, error: reply.error };
  }

  /** Starts an environment once an init slot is free; its init must finish within `limitMs`. */
  private async start(limitMs: number): Promise<StartResult> {
    const release = await this.runtime.initSlots.acquire();
    const startedAt = performance.now();
    try {
      const instance = new Instance(this.spec, (line) => this.onLog(line));
      this.all.add(instance);
      try {
        const initMs = await within(instance.ready, limitMs, TIMED_OUT);
        if (initMs === TIMED_OUT) {
          this.discard(instance);
          return { ok: false, timedOut: true, error: timeoutError(limitMs / 1000), startedAt };
        }
        return { ok: true, instance, initMs, startedAt };
      } catch (error) {
        this.discard(instance);
        const e = error as Partial<SerializedError> & Error;
        const failure = {
          errorType: e.errorType ?? 'Runtime.Unknown',
          errorMessage: e.errorMessage ?? e.message,
          ...(e.stack ? { stack: e.stack } : {}),
        };
        // Logged as the platform logs a failed init; the next request starts a fresh environment.
        this.onLog(
          initReport(this.spec, performance.now() - startedAt, {
            status: 'error',
            errorType: failure.errorType,
          }),
        );
        return { ok: false, timedOut: false, startedAt, error: failure };
      }
    } finally {
      release();
    }
  }

  /** The most recently used idle environment (the others age towards their reaping). */
  private takeIdle(): Instance | undefined {
    for (let instance = this.idle.pop(); instance; instance = this.idle.pop()) {
      clearTimeout(instance.idleTimer);
      // An environment whose thread ended while idle (it exited on its own) is gone for good.
      if (instance.alive) return instance;
      this.discard(instance);
    }
    return undefined;
  }

  private putIdle(instance: Instance): void {
    if (!instance.alive || this.retired.has(instance)) {
      this.discard(instance);
      return;
    }
    this.idle.push(instance);
    instance.idleTimer = setTimeout(() => this.discard(instance), this.runtime.limits.idleInstanceMs);
    instance.idleTimer.unref();
  }

  /**
   * Starts an execution environment ahead of any request (as provisioned concurrency does) and
   * reports its init: ok with the init time, or the init error the first request would have got.
   */
  async initialize(): Promise<{ ok: true; initMs: number } | { ok: false; error: SerializedError }> {
    const start = await this.start(this.runtime.limits.initTimeoutMs);
    if (!start.ok) return { ok: false, error: start.error };
    this.putIdle(start.instance);
    return { ok: true, initMs: start.initMs };
  }

  private discard(instance: Instance): void {
    clearTimeout(instance.idleTimer);
    this.all.delete(instance);
    this.retired.delete(instance);
    if (this.retired.size === 0) for (const drained of this.drained.splice(0)) drained();
    const index = this.idle.indexOf(instance);
    if (index >= 0) this.idle.splice(index, 1);
    void instance.worker.terminate();
  }

  /**
   * Kills every environment busy with a request now, as a crash (out of memory, the host lost)
   * would: the thread dies wherever the handler was, its request fails as Lambda reports a
   * process that exited (`Runtime.ExitError`, API Gateway's bare 500), and the next request
   * starts cold. For fault-injection tests; resolves with how many were killed.
   */
  async crashBusy(): Promise<number> {
    const busy = [...this.all].filter((instance) => !this.idle.includes(instance));
    await Promise.all(busy.map((instance) => instance.worker.terminate()));
    return busy.length;
  }

  private readonly drained: (() => void)[] = [];

  /**
   * Deploys new code or configuration (`npm start`'s watch mode), as an update of the function
   * does: idle environments are shut down at once, busy ones finish their request on the old
   * code and are shut down then, and every later request starts an environment of the new spec.
   * Resolves once no environment of the old code is left. The concurrency pool stays the one
   * the function started with (a changed reserved concurrency applies on the next start).
   */
  replace(spec: FunctionSpec): Promise<void> {
    this.#spec = spec;
    for (const instance of this.idle.splice(0)) this.discard(instance);
    for (const instance of this.all) this.retired.add(instance);
    if (this.retired.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /**
   * Takes the same code from another directory (a new synthesis staged the same bundle there):
   * environments stay warm, later ones start from `spec`.
   */
  relocate(spec: FunctionSpec): void {
    this.#spec = spec;
  }

  /** Shuts every execution environment down. */
  async stop(): Promise<void> {
    const instances = [...this.all];
    for (const instance of instances) clearTimeout(instance.idleTimer);
    this.all.clear();
    this.idle.length = 0;
    this.retired.clear();
    for (const drained of this.drained.splice(0)) drained();
    await Promise.all(instances.map((instance) => instance.worker.terminate()));
  }
}
