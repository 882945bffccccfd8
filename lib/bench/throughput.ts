import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
/** autocannon's CLI, run as a child process so the load generator does not share the emulator's event loop. */
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export interface LoadTarget {
  readonly label: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly label: string;
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Requests that failed at the socket, and those autocannon gave up on after 10 s. */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** CPU spent per request by this process (the emulator and its function threads) and by DynamoDB Local. */
  readonly cpuMsPerRequest: { readonly node: number; readonly dynamodb?: number };
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

/** Pause between the warm-up run and the measured one. */
const SETTLE_MS = 5000;

/** User+system CPU milliseconds a process has used so far (Linux), or undefined elsewhere. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function autocannon(target: LoadTarget, connections: number, seconds: number): Promise<AutocannonJson> {
  const headers = Object.entries(target.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const { stdout } = await execFileAsync(
    process.execPath,
    [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-j', ...headers, target.url],
    { maxBuffer: 64 * 2 ** 20, timeout: (seconds + 60) * 1000 },
  );
  return JSON.parse(stdout) as AutocannonJson;
}

/**
 * Load at one concurrency: a warm-up run at that concurrency first, as long as the measured
 * one (it starts the execution environments a burst of that size needs, and warms their JIT:
 * each environment compiles the function's hot paths on its own, as on Lambda), then the
 * measured run.
 */
export async function measureThroughput(
  target: LoadTarget,
  connections: number,
  seconds: number,
  dynamodbPid: number | undefined,
): Promise<LoadResult> {
  await autocannon(target, connections, seconds);
  // Requests the warm-up left in flight (environments still starting) finish before timing.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const cpuBefore = process.cpuUsage();
  const javaBefore = processCpuMs(dynamodbPid);
  const out = await autocannon(target, connections, seconds);
  const cpu = process.cpuUsage(cpuBefore);
  const javaAfter = processCpuMs(dynamodbPid);
  const requests = Math.max(1, out.requests.total);
  return {
    label: target.label,
    connections,
    durationS: out.duration,
    requests: out.requests.total,
    requestsPerSecond: out.requests.total / out.duration,
    latencyMs: { p50: out.latency.p50, p99: out.latency.p99, max: out.latency.max },
    errors: out.errors - out.timeouts,
    timeouts: out.timeouts,
    non2xx: out.non2xx,
    cpuMsPerRequest: {
      node: (cpu.user + cpu.system) / 1000 / requests,
      dynamodb:
        javaBefore !== undefined && javaAfter !== undefined ? (javaAfter - javaBefore) / requests : undefined,
    },
  };
}
