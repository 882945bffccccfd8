import { summarize } from '../bench/stats.ts';
import type { KindStats, LoadResult } from './model.ts';

export interface Response {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface SendInit {
  readonly method?: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

/** Sends requests and counts their statuses and latencies per kind of request. */
export class Recorder {
  readonly kinds: Record<string, KindStats> = {};
  requests = 0;
  serverErrors = 0;

  async send(kind: string, url: string, init: SendInit): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const started = performance.now();
    let status: number;
    let parsed: Record<string, unknown> = {};
    try {
      const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
      const text = await res.text();
      status = res.status;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = {};
      }
    } catch {
      // No answer at all (connection refused or reset) is our fault as much as a 5xx.
      status = 599;
    }
    this.kinds[kind] ??= { statuses: {}, latenciesMs: [] };
    const stats = this.kinds[kind];
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    stats.latenciesMs.push(performance.now() - started);
    this.requests++;
    if (status >= 500) this.serverErrors++;
    return { status, body: parsed };
  }
}

/** The summary table: per kind, requests, statuses and p50/p99 latency. */
export function formatSummary(result: LoadResult): string {
  const rows = Object.entries(result.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, stats]) => {
      const { p50, p99 } = summarize(stats.latenciesMs);
      const statuses = Object.entries(stats.statuses)
        .map(([status, count]) => `${status}:${count}`)
        .join(' ');
      return `  ${kind.padEnd(16)} ${String(stats.latenciesMs.length).padStart(7)}  p50 ${p50.toFixed(1).padStart(7)} ms  p99 ${p99.toFixed(1).padStart(8)} ms  ${statuses}`;
    });
  const histogram: Record<string, number> = {};
  for (const stats of Object.values(result.kinds)) {
    for (const [status, count] of Object.entries(stats.statuses))
      histogram[status] = (histogram[status] ?? 0) + count;
  }
  return [
    `Load: ${result.totals.requests} requests in ${result.durationSeconds.toFixed(1)} s (${result.totals.requestsPerSecond.toFixed(1)}/s), seed ${result.seed}`,
    `  ${'kind'.padEnd(16)} ${'count'.padStart(7)}`,
    ...rows,
    `  statuses: ${Object.entries(histogram)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ')}`,
    result.passwordResets.mailbox
      ? `  password resets completed: ${result.passwordResets.completed} (codes read from the target's mailbox)`
      : '  password resets completed: none (the target has no mailbox: a code is asked for, a wrong one tried)',
    'Invariants:',
    ...result.invariants.map((inv) => `  ${inv.ok ? 'PASS' : 'FAIL'} ${inv.name}: ${inv.detail}`),
  ].join('\n');
}
