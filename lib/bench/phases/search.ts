import type { ProductFields } from '../../../functions/catalog/model.ts';
import { compactIndex } from '../../../functions/search/compaction.ts';
import { localAdmin } from '../../demo/seed.ts';
import { login } from '../backend.ts';
import { markdownTable } from '../docs.ts';
import { BenchClient } from '../http-client.ts';
import { type LatencyProbe, measureLatency, WARMUP_REQUESTS } from '../latency.ts';
import type { BenchContext, BenchPhase, Goal, PhaseResult } from '../phase.ts';
import { seedScaleTable } from '../scale.ts';
import { LABELLED_QUERIES, searchCatalog } from '../search-catalog.ts';
import { type Summary, summarize } from '../stats.ts';
import { ms, percent, ratio } from '../table.ts';

/** The smaller catalog the large one is compared with. */
const SMALL = 1000;
/** Writes whose freshness (write -> found by search) is timed, per size. */
const FRESHNESS_WRITES = 5;
const FRESHNESS_LIMIT_MS = 30_000;

interface SizedSearch {
  readonly size: number;
  readonly client: BenchClient;
  readonly catalog: readonly ProductFields[];
  /** Building the first snapshot from the catalog (the bootstrap compaction). */
  readonly snapshotMs: number;
  /** The first search on a fresh backend (function init + snapshot load + index build + request). */
  readonly coldSearchMs: number;
  /** The first GET /products/{id} on the same backend: the GetItem floor's cold request. */
  readonly coldGetMs: number;
}

const searchPath = (q: string, limit = 20) =>
  `/products/search?${new URLSearchParams({ q, limit: String(limit) })}`;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Seeds a table with the search catalog, compacts its first snapshot, starts a backend on it. */
async function sized(context: BenchContext, size: number): Promise<SizedSearch> {
  const ddb = await context.runtime.sharedDynamoDb();
  const prefix = `bench-search-${size}-${Date.now().toString(36)}-`;
  const catalog = searchCatalog(size);
  let snapshotMs = Number.NaN;
  context.progress(`Search: seeding ${size} products and building the first snapshot...`);
  await seedScaleTable(context.app.assembly, ddb.endpoint, prefix, size, () => {}, {
    products: catalog,
    orders: false,
    beforeStream: async () => {
      snapshotMs = await timed(() => compactIndex());
    },
  });
  const backend = await context.runtime.startBackend(prefix, { onTablesCreated: undefined });
  const client = new BenchClient(backend.url);
  const coldSearchMs = await timed(() => client.request({ path: searchPath('lamp') }));
  const coldGetMs = await timed(() => client.request({ path: `/products/${catalog[0]?.id}` }));
  return { size, client, catalog, snapshotMs, coldSearchMs, coldGetMs };
}

/** Per size: the labelled queries in turn, and the GetItem floor (GET /products/{id}) beside them. */
function probesOf(sizes: readonly SizedSearch[]): LatencyProbe[] {
  return sizes.flatMap((s) => [
    {
      label: `search @${s.size}`,
      run: async (i: number) => {
        const q = (LABELLED_QUERIES[i % LABELLED_QUERIES.length] as { q: string }).q;
        const res = await s.client.request({ path: searchPath(q) });
        return { ok: res.status === 200, detail: `${res.status} ${res.body.slice(0, 200)}` };
      },
    },
    {
      label: `floor @${s.size}`,
      run: async (i: number) => {
        const product = s.catalog[i % s.catalog.length] as ProductFields;
        const res = await s.client.request({ path: `/products/${product.id}` });
        return { ok: res.status === 200, detail: `${res.status}` };
      },
    },
  ]);
}

/** Share of labelled queries whose product is among the first three, and the misses. */
async function relevance(s: SizedSearch): Promise<{ rate: number; misses: string[] }> {
  const names = new Map(s.catalog.map((p) => [p.id, p.name]));
  const misses: string[] = [];
  for (const query of LABELLED_QUERIES) {
    const res = await s.client.request({ path: searchPath(query.q, 3) });
    const found = (JSON.parse(res.body) as { items?: { id: string }[] }).items ?? [];
    if (!found.some((item) => names.get(item.id) === query.expected)) misses.push(query.q);
  }
  return { rate: 1 - misses.length / LABELLED_QUERIES.length, misses };
}

/** Write -> searchable: an admin creates a product with a new word; search is asked every 25 ms. */
async function freshness(s: SizedSearch): Promise<Summary> {
  const token = await login(s.client, localAdmin({}));
  const samples: number[] = [];
  for (let i = 0; i < FRESHNESS_WRITES; i++) {
    const word = `fresh${Date.now().toString(36)}x${i}`.replace(
      /[0-9]/g,
      (d) => 'abcdefghij'[Number(d)] ?? 'a',
    );
    const started = performance.now();
    const res = await s.client.request({
      method: 'POST',
      path: '/products',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name: `${word} lamp`,
        category: 'home',
        price: 1000,
        currency: 'EUR',
        stock: 1,
      }),
    });
    if (res.status !== 201)
      throw new Error(`Creating a product answered ${res.status}: ${res.body.slice(0, 200)}`);
    for (;;) {
      const found = await s.client.request({ path: searchPath(word) });
      if (found.body.includes(word)) break;
      if (performance.now() - started > FRESHNESS_LIMIT_MS)
        throw new Error(`${word} not searchable after 30 s.`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

function result(
  context: BenchContext,
  sizes: readonly SizedSearch[],
  latency: Map<string, { ms: number[] }>,
  extra: { relevance: Map<number, { rate: number; misses: string[] }>; fresh: Map<number, Summary> },
): PhaseResult {
  const [small, large] = sizes as [SizedSearch, SizedSearch];
  const stat = (label: string) => summarize(latency.get(label)?.ms ?? []);
  const headers = [
    'products',
    'search p50',
    'search p99',
    'floor p50',
    'search/floor p50',
    'first search (cold)',
    'first GET (cold)',
    'snapshot build',
    'fresh p50',
    'fresh max',
    'top-3 hits',
  ];
  const rows = sizes.map((s) => {
    const search = stat(`search @${s.size}`);
    const floor = stat(`floor @${s.size}`);
    const fresh = extra.fresh.get(s.size) as Summary;
    const rel = extra.relevance.get(s.size) as { rate: number };
    return [
      String(s.size),
      ms(search.p50),
      ms(search.p99),
      ms(floor.p50),
      ratio(search.p50, floor.p50),
      ms(s.coldSearchMs),
      ms(s.coldGetMs),
      ms(s.snapshotMs),
      ms(fresh.p50),
      ms(fresh.max),
      percent(rel.rate),
    ];
  });
  context.print(
    `Search (${LABELLED_QUERIES.length} labelled queries in turn; floor: GET /products/{id} on the same backend; ms)`,
  );
  context.print(markdownTable(headers, rows));
  for (const s of sizes) {
    const misses = extra.relevance.get(s.size)?.misses ?? [];
    if (misses.length) context.print(`  top-3 misses @${s.size}: ${misses.join(', ')}`);
  }
  context.print();
  const growth = stat(`search @${large.size}`).p50 / stat(`search @${small.size}`).p50;
  const worstRate = Math.min(...[...extra.relevance.values()].map((r) => r.rate));
  const worstFresh = Math.max(...[...extra.fresh.values()].map((f) => f.p50));
  const goals: Goal[] = [
    {
      goal: `Search p50 at ${large.size} products vs ${SMALL}`,
      target: '<= 1.5x',
      measured: `${growth.toFixed(2)}x`,
      met: growth <= 1.5,
    },
    {
      goal: 'Search freshness after a write (p50)',
      target: '<= 5 s',
      measured: `${(worstFresh / 1000).toFixed(2)} s`,
      met: worstFresh <= 5000,
    },
    {
      goal: `Search relevance, top-3 hits of ${LABELLED_QUERIES.length} labelled queries`,
      target: '>= 90%',
      measured: percent(worstRate),
      met: worstRate >= 0.9,
    },
  ];
  return {
    report: {
      search: sizes.map((s) => ({
        products: s.size,
        search: stat(`search @${s.size}`),
        floor: stat(`floor @${s.size}`),
        coldSearchMs: s.coldSearchMs,
        coldGetMs: s.coldGetMs,
        snapshotMs: s.snapshotMs,
        freshness: extra.fresh.get(s.size),
        relevance: extra.relevance.get(s.size),
      })),
    },
    sections: { search: markdownTable(headers, rows, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
    goals,
  };
}

async function runSearch(context: BenchContext): Promise<PhaseResult> {
  const sizes = [await sized(context, SMALL), await sized(context, context.options.scale)];
  context.progress(
    `Search: ${context.options.requests} sequential requests per probe and size, interleaved...`,
  );
  const latency = await measureLatency(probesOf(sizes), context.options.requests, WARMUP_REQUESTS);
  const relevanceBySize = new Map<number, { rate: number; misses: string[] }>();
  const fresh = new Map<number, Summary>();
  for (const s of sizes) {
    relevanceBySize.set(s.size, await relevance(s));
    context.progress(`Search: freshness of ${FRESHNESS_WRITES} writes @${s.size}...`);
    fresh.set(s.size, await freshness(s));
  }
  const out = result(context, sizes, latency, { relevance: relevanceBySize, fresh });
  for (const s of sizes) s.client.close();
  return out;
}

export const searchPhase: BenchPhase = {
  name: 'search',
  describe:
    'product search at 1k and --scale products: latency against the GetItem floor, cold start, freshness, relevance',
  run: runSearch,
};
