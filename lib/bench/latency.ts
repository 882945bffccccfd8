/** Requests per probe before timing starts: the function's cold start and the JIT's first passes. */
export const WARMUP_REQUESTS = 30;

/** One thing timed sequentially: a route through the local API, or a floor. `run(i)` does the i-th call. */
export interface LatencyProbe {
  readonly label: string;
  readonly run: (i: number) => Promise<{ ok: boolean; detail?: string }>;
}

export interface LatencySamples {
  /** Wall time of each successful call, client side. */
  readonly ms: number[];
  /** Calls that did not succeed (excluded from `ms`). */
  failures: number;
  firstFailure?: string;
}

/**
 * Sequential latency. Each probe is first warmed up (a function's cold start and the first
 * requests' JIT are not what this measures), then calls go out one at a time, interleaved
 * across probes (one of each per round), so machine noise lands on all of them alike. A
 * warm-up call that fails means the setup is broken: that throws.
 */
export async function measureLatency(
  probes: readonly LatencyProbe[],
  requests: number,
  warmup: number,
): Promise<Map<string, LatencySamples>> {
  for (const probe of probes) {
    for (let i = 0; i < warmup; i++) {
      const { ok, detail } = await probe.run(i);
      if (!ok) throw new Error(`Warm-up of ${probe.label} failed: ${detail ?? ''}`);
    }
  }
  const samples = new Map<string, LatencySamples>(probes.map((p) => [p.label, { ms: [], failures: 0 }]));
  for (let i = 0; i < requests; i++) {
    for (const probe of probes) {
      const entry = samples.get(probe.label) as LatencySamples;
      const started = performance.now();
      const { ok, detail } = await probe.run(i);
      const ms = performance.now() - started;
      if (ok) {
        entry.ms.push(ms);
      } else {
        entry.failures++;
        entry.firstFailure ??= detail;
      }
    }
  }
  return samples;
}
