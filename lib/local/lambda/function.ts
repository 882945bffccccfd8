import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { transformSync } from 'esbuild';
import type { CfnResource, TemplateResolver } from '../cloudformation/template.ts';
import type { InvokeMessage, SerializedError, WorkerInit, WorkerReply } from './worker.ts';

/** What the local runtime knows of one function, read from the synthesized template. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  /** Directory of the bundled asset (`cdk.out/asset.<hash>`). */
  readonly codeDir: string;
  /** `index.handler`: module file (without extension) and export name. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `ReservedConcurrentExecutions`: the most environments the function may run at once. */
  readonly reservedConcurrency?: number;
}

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
}

export type InvokeOutcome =
  | (InvokeReport & { ok: true; result: unknown })
  | (InvokeReport & {
      ok: false;
      error: SerializedError;
      /** Refused before running (no concurrency left), as Lambda's Invoke API answers 429. */
      throttled?: boolean;
    });

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
}

export const DEFAULT_RUNTIME_LIMITS: RuntimeLimits = {
  accountConcurrency: 1000,
  idleInstanceMs: 5 * 60_000,
  initTimeoutMs: 10_000,
  concurrentInits: Math.max(2, os.availableParallelism()),
};

/** Variables that override the default limits (`LOCAL_ACCOUNT_CONCURRENCY=50 npm start`). */
const LIMIT_VARIABLES = {
  accountConcurrency: { name: 'LOCAL_ACCOUNT_CONCURRENCY', unitMs: 1 },
  idleInstanceMs: { name: 'LOCAL_IDLE_INSTANCE_SECONDS', unitMs: 1000 },
  initTimeoutMs: { name: 'LOCAL_INIT_TIMEOUT_SECONDS', unitMs: 1000 },
  concurrentInits: { name: 'LOCAL_CONCURRENT_INITS', unitMs: 1 },
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

/** Counts executions in flight against a limit (a function's reserved concurrency, or the account's). */
export class ConcurrencyPool {
  inUse = 0;
  private readonly limit: () => number;

  constructor(limit: number | (() => number)) {
    this.limit = typeof limit === 'number' ? () => limit : limit;
  }

  tryAcquire(): boolean {
    if (this.inUse >= this.limit()) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    this.inUse--;
  }
}

/** A counting semaphore: at most `slots` holders at once, the rest wait in order. */
class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/**
 * The local Lambda service of one backend: its limits, the account's concurrency shared by
 * functions without reserved concurrency, and the turns of environments initializing.
 */
export class LocalRuntime {
  readonly limits: RuntimeLimits;
  readonly initSlots: Semaphore;
  private reserved = 0;
  /** Executions of functions without reserved concurrency, against what the account has left. */
  readonly unreserved: ConcurrencyPool;

  constructor(limits: Partial<RuntimeLimits> = {}) {
    this.limits = { ...DEFAULT_RUNTIME_LIMITS, ...limits };
    // Transpiled now, not during the first request (esbuild starts its service once per process).
    workerSource();
    this.initSlots = new Semaphore(this.limits.concurrentInits);
    this.unreserved = new ConcurrencyPool(() => this.limits.accountConcurrency - this.reserved);
  }

  /** The pool a function's executions count against: its own when it reserves concurrency. */
  poolFor(spec: FunctionSpec): ConcurrencyPool {
    if (spec.reservedConcurrency === undefined) return this.unreserved;
    this.reserved += spec.reservedConcurrency;
    return new ConcurrencyPool(spec.reservedConcurrency);
  }
}

/** How Lambda's Invoke API refuses a request when no concurrency is left. */
export const throttledError = (reserved: boolean): SerializedError => ({
  errorType: 'TooManyRequestsException',
  errorMessage: reserved
    ? 'Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded)'
    : 'Rate Exceeded. (ConcurrentInvocationLimitExceeded)',
});

/**
 * What the Lambda service sets in every execution environment besides the function's own
 * variables (region, credentials for SDK clients, function name, memory and log format for
 * Powertools). Credentials here are local dummies.
 */
export function lambdaEnvironment(
  functionName: string,
  codeDir: string,
  handler: string,
  props: Record<string, unknown>,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Record<string, string> {
  const logging = props.LoggingConfig as { LogFormat?: string } | undefined;
  return {
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: codeDir,
    _HANDLER: handler,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    // Environments start on demand here (no provisioned concurrency); Powertools reads it to
    // tell a cold start.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(props.Runtime ?? 'nodejs24.x')}`,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    // Functions read credentials from these variables only (functions/core/aws-credentials.ts).
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    ...(logging?.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: logging.LogFormat } : {}),
  };
}

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

/**
 * An `AWS::Lambda::Function` of the template as the local runtime runs it: its bundle (from
 * `aws:asset:path`), timeout, memory, reserved concurrency, and the environment Lambda would
 * give it (its own variables with intrinsics resolved, then `overrides` on top).
 */
export function functionSpecOf(
  found: { stackName: string; logicalId: string; resource: CfnResource },
  resolver: TemplateResolver,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  overrides: Readonly<Record<string, string>> = {},
): FunctionSpec {
  const { stackName, logicalId, resource } = found;
  const props = resource.Properties ?? {};
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`Function ${logicalId} has no aws:asset:path metadata.`);
  const codeDir = path.resolve(resolver.assembly.dir, assetPath);
  const handler = String(props.Handler ?? 'index.handler');
  const functionName = resolver.resource(stackName, logicalId).ref;
  const variables = resolver.resolve(
    (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
    stackName,
  ) as Record<string, string>;
  return {
    logicalId,
    functionName,
    codeDir,
    handler,
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMb: Number(props.MemorySize ?? 128),
    ...(props.ReservedConcurrentExecutions !== undefined
      ? { reservedConcurrency: Number(props.ReservedConcurrentExecutions) }
      : {}),
    environment: {
      ...lambdaEnvironment(functionName, codeDir, handler, props, credentials),
      ...variables,
      ...overrides,
    },
  };
}

/** The error Lambda reports when a function runs past its timeout. */
export const timeoutError = (seconds: number): SerializedError => ({
  errorType: 'Sandbox.Timedout',
  errorMessage: `Task timed out after ${seconds.toFixed(2)} seconds`,
});

function resolveModule(codeDir: string, handler: string): { modulePath: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const file = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  for (const extension of ['.mjs', '.js', '.cjs']) {
    const candidate = path.join(codeDir, `${file}${extension}`);
    if (existsSync(candidate)) return { modulePath: candidate, exportName };
  }
  throw new Error(`No module for handler "${handler}" in ${codeDir}.`);
}

const WORKER_SCRIPT = path.join(import.meta.dirname, 'worker.ts');
let workerCode: string | undefined;

/**
 * The execution environment's code as plain JavaScript, transpiled once per process. A worker
 * started from the .ts file would load Node's type stripper in every new thread: about 70 ms
 * more per cold start, which Lambda does not have.
 */
function workerSource(): string {
  workerCode ??= transformSync(readFileSync(WORKER_SCRIPT, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node24',
    sourcefile: WORKER_SCRIPT,
  }).code;
  return workerCode;
}

/** One execution environment: a worker thread with its own module state and `process.env`. */
class Instance {
  readonly worker: Worker;
  readonly ready: Promise<number>;
  alive = true;
  idleTimer: NodeJS.Timeout | undefined;
  private pending: ((reply: WorkerReply) => void) | undefined;

  constructor(spec: FunctionSpec, onLog: (line: string) => void) {
    const { modulePath, exportName } = resolveModule(spec.codeDir, spec.handler);
    const init: WorkerInit = {
      modulePath,
      exportName,
      functionName: spec.functionName,
      memoryMb: spec.memoryMb,
      enableSourceMaps: (spec.environment.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
    };
    this.worker = new Worker(workerSource(), {
      eval: true,
      workerData: init,
      env: { ...spec.environment },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) onLog(line);
      });
    }
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`function instance exited (${code}) during init`)));
      this.worker.once('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') resolve(reply.initMs);
        else if (reply.type === 'init-error')
          reject(Object.assign(new Error(reply.error.errorMessage), reply.error));
      });
    });
    // Settled by whoever awaits it; an instance given up on (init limit) must not leave an
    // unhandled rejection behind when it is terminated.
    this.ready.catch(() => undefined);
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'result' || reply.type === 'error') this.pending?.(reply);
    });
    // A function that exits its process (or runs out of memory) fails the running request.
    this.worker.on('exit', (code) => {
      this.alive = false;
      this.pending?.({
        type: 'error',
        requestId: '',
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId ended: process exited with status ${code}`,
        },
      });
    });
  }

  invoke(message: InvokeMessage): Promise<WorkerReply> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.worker.postMessage(message);
    });
  }
}

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
 * shut down after a while.
 */
export class LocalFunction {
  readonly spec: FunctionSpec;
  private readonly idle: Instance[] = [];
  private readonly all = new Set<Instance>();
  private readonly onLog: (line: string) => void;
  private readonly runtime: LocalRuntime;
  private readonly pool: ConcurrencyPool;
  private readonly observers = new Set<(outcome: InvokeOutcome) => void>();

  constructor(spec: FunctionSpec, options: LocalFunctionOptions | ((line: string) => void) = {}) {
    const { onLog, runtime } =
      typeof options === 'function' ? { onLog: options, runtime: undefined } : options;
    this.spec = spec;
    this.onLog = onLog ?? ((line) => console.log(line));
    this.runtime = runtime ?? new LocalRuntime();
    this.pool = this.runtime.poolFor(spec);
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

  async invoke(event: unknown): Promise<InvokeOutcome> {
    const requestId = randomUUID();
    const started = performance.now();
    let outcome: InvokeOutcome;
    if (!this.pool.tryAcquire()) {
      outcome = {
        ok: false,
        throttled: true,
        requestId,
        coldStart: false,
        durationMs: performance.now() - started,
        error: throttledError(this.spec.reservedConcurrency !== undefined),
      };
    } else {
      try {
        outcome = await this.run(event, requestId, started);
      } finally {
        this.pool.release();
      }
    }
    for (const observer of this.observers) observer(outcome);
    return outcome;
  }

  private async run(event: unknown, requestId: string, started: number): Promise<InvokeOutcome> {
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
    const reply = await within(
      instance.invoke({ type: 'invoke', requestId, event, deadline }),
      budgetMs,
      TIMED_OUT,
    );
    const durationMs = elapsed();
    if (reply === TIMED_OUT) {
      this.discard(instance);
      return { ...report, ok: false, durationMs, initMs, error: timeoutError(this.spec.timeoutSeconds) };
    }
    this.putIdle(instance);
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
    if (!instance.alive) {
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

  /** Shuts every execution environment down. */
  async stop(): Promise<void> {
    const instances = [...this.all];
    for (const instance of instances) clearTimeout(instance.idleTimer);
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(instances.map((instance) => instance.worker.terminate()));
  }
}
