import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from `/proc/<pid>/status` (VmRSS); undefined if unreadable. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid of the DynamoDB Local Java process listening on `port` (its command line names the
 * jar and `-port <port>`), found in /proc: the launcher does not expose its child.
 */
export function dynamoDbLocalPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const portAt = args.indexOf('-port');
    if (args.some((arg) => arg.includes('DynamoDBLocal')) && args[portAt + 1] === String(port)) {
      return Number(entry);
    }
  }
  return undefined;
}

/** RSS samples of one process over a run, in MiB. */
export interface MemorySeries {
  readonly name: string;
  readonly pid: number | undefined;
  readonly samples: { atSeconds: number; mib: number }[];
}

export interface MemoryVerdict {
  readonly name: string;
  readonly pid: number | undefined;
  readonly startMiB: number | undefined;
  /** The first sample at or after the warm-up (a quarter of the run). */
  readonly warmMiB: number | undefined;
  readonly endMiB: number | undefined;
  readonly maxMiB: number | undefined;
  /** Growth from the warm sample to the end. */
  readonly growthAfterWarmUpMiB: number | undefined;
  readonly flat: boolean;
}

/**
 * After warm-up a process is "flat" when it grew by at most this share of its warm size, or
 * this many MiB, whichever is larger: a heap settling after JIT and caches is not a leak, a
 * steady climb of tens of percent in a minute is.
 */
export const FLAT_TOLERANCE = { share: 0.2, mib: 48 } as const;

export function memoryVerdict(series: MemorySeries, warmUpSeconds: number): MemoryVerdict {
  const values = series.samples.map((sample) => sample.mib);
  const start = values[0];
  const warm = series.samples.find((sample) => sample.atSeconds >= warmUpSeconds)?.mib ?? start;
  const end = values.at(-1);
  const growth = warm !== undefined && end !== undefined ? end - warm : undefined;
  return {
    name: series.name,
    pid: series.pid,
    startMiB: start,
    warmMiB: warm,
    endMiB: end,
    maxMiB: values.length > 0 ? Math.max(...values) : undefined,
    growthAfterWarmUpMiB: growth,
    flat:
      growth !== undefined &&
      warm !== undefined &&
      growth <= Math.max(FLAT_TOLERANCE.share * warm, FLAT_TOLERANCE.mib),
  };
}
