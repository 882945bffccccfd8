/** One route probed through the local API; `path(i)` gives the i-th request's path. */
export interface LatencyRoute {
  readonly label: string;
  readonly path: (i: number) => string;
}

export interface LatencySamples {
  /** Client-side time of each successful request: send to last byte of the body. */
  readonly ms: number[];
  /** Requests that did not answer 200 (excluded from `ms`). */
  failures: number;
  firstFailure?: string;
}

async function timedGet(url: string): Promise<{ ms: number; status: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  return { ms: performance.now() - started, status: response.status, body };
}

/**
 * Warm latency through the local API. Each route is first warmed up (its function's cold
 * start and the first requests' JIT are not what this measures), then requests go out one
 * at a time, interleaved across routes (one of each per round) so machine noise lands on all
 * routes alike. A warm-up request that is not 200 means the setup is broken: that throws.
 */
export async function measureLatency(
  baseUrl: string,
  routes: readonly LatencyRoute[],
  requests: number,
  warmup: number,
): Promise<Map<string, LatencySamples>> {
  for (const route of routes) {
    for (let i = 0; i < warmup; i++) {
      const { status, body } = await timedGet(`${baseUrl}${route.path(i)}`);
      if (status !== 200) throw new Error(`Warm-up ${route.label} answered ${status}: ${body.slice(0, 500)}`);
    }
  }
  const samples = new Map<string, LatencySamples>(routes.map((r) => [r.label, { ms: [], failures: 0 }]));
  for (let i = 0; i < requests; i++) {
    for (const route of routes) {
      const entry = samples.get(route.label) as LatencySamples;
      const { ms, status, body } = await timedGet(`${baseUrl}${route.path(i)}`);
      if (status === 200) {
        entry.ms.push(ms);
      } else {
        entry.failures++;
        entry.firstFailure ??= `${status} ${body.slice(0, 300)}`;
      }
    }
  }
  return samples;
}
