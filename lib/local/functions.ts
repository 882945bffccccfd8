import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InvokeMessage, SerializedError, WorkerInit, WorkerReply } from './lambda-worker.ts';

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
}

export type InvokeOutcome =
  | { ok: true; result: unknown; requestId: string; coldStart: boolean; durationMs: number; initMs?: number }
  | {
      ok: false;
      error: SerializedError;
      requestId: string;
      coldStart: boolean;
      durationMs: number;
      initMs?: number;
    };

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
  credentials: { accessKeyId: string; secretAccessKey: string },
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
    ...(logging?.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: logging.LogFormat } : {}),
  };
}

/**
 * The platform's line for an init phase that failed (JSON log format: `platform.initReport`,
 * what the runbook's queries look for; else the text `INIT_REPORT`). The environment is thrown
 * away, and the next request starts a fresh one, as Lambda does.
 */
export function initReport(spec: FunctionSpec, durationMs: number, errorType: string): string {
  if (spec.environment.AWS_LAMBDA_LOG_FORMAT === 'JSON') {
    return JSON.stringify({
      time: new Date().toISOString(),
      type: 'platform.initReport',
      record: {
        initializationType: 'on-demand',
        phase: 'init',
        status: 'error',
        errorType,
        metrics: { durationMs: Number(durationMs.toFixed(3)) },
      },
    });
  }
  return `INIT_REPORT Init Duration: ${durationMs.toFixed(2)} ms Phase: init Status: error Error Type: ${errorType}`;
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

const WORKER_SCRIPT = path.join(import.meta.dirname, 'lambda-worker.ts');

/** One execution environment: a worker thread with its own module state and `process.env`. */
class Instance {
  readonly worker: Worker;
  readonly ready: Promise<number>;
  busy = false;
  alive = true;
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
    this.worker = new Worker(WORKER_SCRIPT, {
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

/**
 * A function as Lambda runs it: each concurrent request gets an execution environment of
 * its own (a worker thread), cold on first use and warm after; a run past the timeout kills
 * its environment, so the next request is cold again.
 */
export class LocalFunction {
  readonly spec: FunctionSpec;
  private readonly idle: Instance[] = [];
  private readonly all = new Set<Instance>();
  private readonly onLog: (line: string) => void;

  constructor(spec: FunctionSpec, onLog: (line: string) => void = (line) => console.log(line)) {
    this.spec = spec;
    this.onLog = onLog;
  }

  get instanceCount(): number {
    return this.all.size;
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    const requestId = randomUUID();
    const started = performance.now();
    let instance = this.idle.pop();
    const coldStart = !instance;
    let initMs: number | undefined;
    if (!instance) {
      const init = await this.startInstance();
      if (!init.ok) {
        return {
          ok: false,
          requestId,
          coldStart,
          durationMs: performance.now() - started,
          error: init.error,
        };
      }
      ({ instance, initMs } = init);
    }
    instance.busy = true;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const reply = await Promise.race([
      instance.invoke({ type: 'invoke', requestId, event, deadline }),
      timedOut,
    ]);
    clearTimeout(timer);
    const durationMs = performance.now() - started;
    if (reply === 'timeout') {
      this.discard(instance);
      return {
        ok: false,
        requestId,
        coldStart,
        durationMs,
        initMs,
        error: timeoutError(this.spec.timeoutSeconds),
      };
    }
    instance.busy = false;
    if (instance.alive) this.idle.push(instance);
    else this.discard(instance);
    if (reply.type === 'result')
      return { ok: true, requestId, coldStart, durationMs, initMs, result: reply.result };
    if (reply.type === 'error')
      return { ok: false, requestId, coldStart, durationMs, initMs, error: reply.error };
    return {
      ok: false,
      requestId,
      coldStart,
      durationMs,
      initMs,
      error: { errorType: 'Runtime.Unknown', errorMessage: 'unexpected reply' },
    };
  }

  /**
   * Starts an execution environment ahead of any request (as provisioned concurrency does) and
   * reports its init: ok with the init time, or the init error the first request would have got.
   */
  async initialize(): Promise<{ ok: true; initMs: number } | { ok: false; error: SerializedError }> {
    const init = await this.startInstance();
    if (!init.ok) return init;
    this.idle.push(init.instance);
    return { ok: true, initMs: init.initMs };
  }

  /**
   * A new execution environment, once its init is done. A failed init is logged as the platform
   * logs it and the environment thrown away: the next request starts a fresh one, as on Lambda.
   */
  private async startInstance(): Promise<
    { ok: true; instance: Instance; initMs: number } | { ok: false; error: SerializedError }
  > {
    const started = performance.now();
    const instance = new Instance(this.spec, (line) => this.onLog(line));
    this.all.add(instance);
    try {
      return { ok: true, instance, initMs: await instance.ready };
    } catch (failure) {
      this.discard(instance);
      const e = failure as Partial<SerializedError> & Error;
      const error = {
        errorType: e.errorType ?? 'Runtime.Unknown',
        errorMessage: e.errorMessage ?? e.message,
        ...(e.stack ? { stack: e.stack } : {}),
      };
      this.onLog(initReport(this.spec, performance.now() - started, error.errorType));
      return { ok: false, error };
    }
  }

  private discard(instance: Instance): void {
    this.all.delete(instance);
    const index = this.idle.indexOf(instance);
    if (index >= 0) this.idle.splice(index, 1);
    void instance.worker.terminate();
  }

  /** Shuts every execution environment down. */
  async stop(): Promise<void> {
    await Promise.all([...this.all].map((instance) => instance.worker.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }
}
