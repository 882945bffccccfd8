// Runs inside a worker thread: one Lambda execution environment. It loads the function's
// bundle once (the cold start) and then serves invocations one at a time, like Lambda does.
// instance.ts starts it from this source transpiled to JavaScript (`eval`), so no relative
// imports here.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';

export interface WorkerInit {
  readonly modulePath: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly enableSourceMaps: boolean;
}

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly event: unknown;
  readonly deadline: number;
  /**
   * Answer only once every line the invocation wrote has reached the parent's side of stdout
   * and stderr, so the parent can tell this invocation's lines from later ones.
   */
  readonly flushLogs?: boolean;
}

export type WorkerReply =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: SerializedError }
  | ({ type: 'result'; requestId: string; result: unknown } & InvocationUsage)
  | ({ type: 'error'; requestId: string; error: SerializedError } & Partial<InvocationUsage>);

/** What an invocation used, measured inside the environment. */
export interface InvocationUsage {
  /** Wall time of the handler: what Lambda bills (before rounding up to the millisecond). */
  readonly handlerMs: number;
  /** CPU time of the environment's thread during the handler. */
  readonly cpuMs: number;
  /**
   * CPU time of the whole process during the handler: includes work Node hands to its thread
   * pool (scrypt, for one), and whatever else the process did meanwhile (other environments,
   * the emulator), so it is an upper bound.
   */
  readonly processCpuMs: number;
  /** V8 heap in use afterwards. */
  readonly heapUsedMb: number;
}

export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stack?: string;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('lambda-worker must run in a worker thread');

function serialize(error: unknown): SerializedError {
  return error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, stack: error.stack }
    : { errorType: 'Error', errorMessage: String(error) };
}

/**
 * An error thrown while the bundle loads, as the Node.js runtime reports it: a missing module is
 * `Runtime.ImportModuleError`, a syntax error `Runtime.UserCodeSyntaxError`, anything else (a
 * configuration check, say) keeps its own name. The runtime also logs it as an uncaught exception.
 */
function initError(error: unknown): SerializedError {
  const serialized = serialize(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const errorType =
    code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? 'Runtime.ImportModuleError'
      : error instanceof SyntaxError
        ? 'Runtime.UserCodeSyntaxError'
        : serialized.errorType;
  const reported = { ...serialized, errorType };
  const line =
    process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON'
      ? JSON.stringify({
          timestamp: new Date().toISOString(),
          level: 'ERROR',
          message: 'Uncaught Exception',
          errorType,
          errorMessage: reported.errorMessage,
          stackTrace: (reported.stack ?? '')
            .split('\n')
            .slice(1)
            .map((frame) => frame.trim()),
        })
      : `${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception\t${JSON.stringify({
          errorType,
          errorMessage: reported.errorMessage,
        })}`;
  process.stderr.write(`${line}\n`);
  return reported;
}

if (init.enableSourceMaps) process.setSourceMapsEnabled(true);

const started = performance.now();
let handler: Handler | undefined;
try {
  const mod = (await import(pathToFileURL(init.modulePath).href)) as Record<string, unknown>;
  const candidate = mod[init.exportName];
  if (typeof candidate !== 'function') {
    throw new Error(`${init.modulePath} does not export a function named "${init.exportName}".`);
  }
  handler = candidate as Handler;
  port.postMessage({ type: 'ready', initMs: performance.now() - started } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ type: 'init-error', error: initError(error) } satisfies WorkerReply);
}

/** Resolves once the parent has taken everything written to stdout and stderr so far. */
const flushStdio = () =>
  Promise.all(
    [process.stdout, process.stderr].map(
      (stream) => new Promise<void>((resolve) => stream.write('', () => resolve())),
    ),
  );

// One log stream per execution environment, as Lambda names them.
const logStreamName = `local/[$LATEST]${randomUUID().replace(/-/g, '')}`;

port.on('message', async (message: InvokeMessage) => {
  if (message.type !== 'invoke' || !handler) return;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${init.functionName}`,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  // CPU of this thread (what the handler's JavaScript burns) and of the whole process (which
  // adds Node's thread pool, where scrypt runs, and whatever else ran meanwhile).
  const cpuBefore = process.threadCpuUsage();
  const processCpuBefore = process.cpuUsage();
  const handlerStarted = performance.now();
  const usage = (): InvocationUsage => {
    const handlerMs = performance.now() - handlerStarted;
    const thread = process.threadCpuUsage(cpuBefore);
    const all = process.cpuUsage(processCpuBefore);
    return {
      handlerMs,
      cpuMs: (thread.user + thread.system) / 1000,
      processCpuMs: (all.user + all.system) / 1000,
      heapUsedMb: getHeapStatistics().used_heap_size / 2 ** 20,
    };
  };
  try {
    const result = await handler(message.event, context);
    if (message.flushLogs) await flushStdio();
    port.postMessage({
      type: 'result',
      requestId: message.requestId,
      result,
      ...usage(),
    } satisfies WorkerReply);
  } catch (error) {
    if (message.flushLogs) await flushStdio();
    port.postMessage({
      type: 'error',
      requestId: message.requestId,
      error: serialize(error),
      ...usage(),
    } satisfies WorkerReply);
  }
});
