import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { transformSync } from 'esbuild';
import type { FunctionSpec } from './spec.ts';
import type { InvokeMessage, WorkerInit, WorkerReply } from './worker.ts';

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
export function workerSource(): string {
  workerCode ??= transformSync(readFileSync(WORKER_SCRIPT, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node24',
    sourcefile: WORKER_SCRIPT,
  }).code;
  return workerCode;
}

/** One execution environment: a worker thread with its own module state and `process.env`. */
export class Instance {
  readonly worker: Worker;
  readonly ready: Promise<number>;
  alive = true;
  idleTimer: NodeJS.Timeout | undefined;
  private pending: ((reply: WorkerReply) => void) | undefined;
  /** While an invocation asked for its lines, they are kept here instead of logged. */
  private captured: string[] | undefined;

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
        for (const line of chunk.split('\n')) {
          if (!line.trim()) continue;
          if (this.captured) this.captured.push(line);
          else onLog(line);
        }
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

  /** Runs one invocation keeping the lines it writes (flushed before it answers) apart: the reply and its lines. */
  async invokeCapturing(message: InvokeMessage): Promise<{ reply: WorkerReply; lines: string[] }> {
    const lines: string[] = [];
    this.captured = lines;
    try {
      return { reply: await this.invoke({ ...message, flushLogs: true }), lines };
    } finally {
      this.captured = undefined;
    }
  }
}
