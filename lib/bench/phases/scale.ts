import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listProducts } from '../../../functions/catalog/store.ts';
import { useTable } from '../../../functions/core/db.ts';
import { localAdmin } from '../../demo/seed.ts';
import { functionVariable, login } from '../backend.ts';
import { markdownTable } from '../docs.ts';
import { BenchClient } from '../http-client.ts';
import { type LatencyProbe, type LatencySamples, measureLatency, WARMUP_REQUESTS } from '../latency.ts';
import type { BenchContext, BenchPhase, PhaseResult } from '../phase.ts';
import { SCALE_CATEGORY, SCALE_CUSTOMER, seedScaleTable } from '../scale.ts';
import { summarize } from '../stats.ts';
import { ms, percent, ratio, renderTable, seconds } from '../table.ts';

/** The smaller listing the large one is compared with. */
const SMALL_SCALE = 1000;

/** A backend on one size's tables, signed in as the admin and the scale customer. */
interface SizedBackend {
  readonly client: BenchClient;
  readonly admin: string;
  readonly customer: string;
  readonly table: string;
}

const LISTINGS = [
  { label: 'GET /products?limit=20', path: '/products?limit=20', token: undefined },
  {
    label: `GET /products?category=${SCALE_CATEGORY}&limit=20`,
    path: `/products?category=${SCALE_CATEGORY}&limit=20`,
    token: undefined,
  },
  { label: 'GET /orders?limit=20', path: '/orders?limit=20', token: 'customer' as const },
  {
    label: 'GET /admin/orders?status=paid&limit=20',
    path: '/admin/orders?status=paid&limit=20',
    token: 'admin' as const,
  },
];

/** The same Query with no API around it: the catalog store called from this process. */
const STORE_LISTINGS = [
  { label: 'store: listProducts({ limit: 20 })', query: { limit: 20 } },
  {
    label: `store: listProducts({ category: '${SCALE_CATEGORY}', limit: 20 })`,
    query: { category: SCALE_CATEGORY, limit: 20 },
  },
];

/** Seeds each size into tables of its own; the table name prefix of each size. */
async function seedSizes(context: BenchContext, sizes: readonly number[]): Promise<Map<number, string>> {
  const ddb = await context.runtime.sharedDynamoDb();
  const prefixes = new Map(sizes.map((size) => [size, `bench-scale-${size}-${Date.now().toString(36)}-`]));
  for (const size of sizes) {
    const started = performance.now();
    let lastShown = -1;
    context.progress(
      `Seeding ${size} products (one category) and ${size} orders (one customer, one status) with BatchWriteItem...`,
    );
    await seedScaleTable(
      context.app.assembly,
      ddb.endpoint,
      prefixes.get(size) as string,
      size,
      (what, done, total) => {
        const step = Math.floor((done / total) * 10);
        if (step !== lastShown || done === total) {
          lastShown = step;
          context.progress(`  ${what}: ${done}/${total} (${percent(done / total)}, ${seconds(started)})`);
        }
      },
    );
  }
  return prefixes;
}

/** Backends and sign-ins only after seeding: access tokens live 15 minutes, seeding 100k items may not. */
async function startSizedBackends(
  context: BenchContext,
  prefixes: ReadonlyMap<number, string>,
): Promise<Map<number, SizedBackend>> {
  const backends = new Map<number, SizedBackend>();
  for (const [size, prefix] of prefixes) {
    const backend = await context.runtime.startBackend(prefix, { onTablesCreated: undefined });
    const client = new BenchClient(backend.url);
    backends.set(size, {
      client,
      admin: await login(client, localAdmin({})),
      customer: await login(client, SCALE_CUSTOMER),
      table: backend.tables[0]?.name ?? '',
    });
    // The store floor below signs its cursors like the functions do, with a backend's key.
    process.env.CURSOR_SECRET_ARN ??= functionVariable(backend, 'CURSOR_SECRET_ARN');
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ??= backend.secretsEndpoint;
  }
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  return backends;
}

/** One probe per listing and size, through the API and (the catalog's) through the store. */
function probesOf(
  backends: ReadonlyMap<number, SizedBackend>,
  documents: DynamoDBDocumentClient,
): LatencyProbe[] {
  const probes: LatencyProbe[] = [];
  for (const listing of LISTINGS) {
    for (const [size, b] of backends) {
      const headers = listing.token ? { authorization: `Bearer ${b[listing.token]}` } : undefined;
      probes.push({
        label: `${listing.label} @${size}`,
        run: async () => {
          const res = await b.client.request({ path: listing.path, ...(headers ? { headers } : {}) });
          const items = res.status === 200 ? (JSON.parse(res.body) as { items: unknown[] }).items.length : 0;
          return {
            ok: res.status === 200 && items === 20,
            detail: `${res.status} ${items} items ${res.body.slice(0, 200)}`,
          };
        },
      });
    }
  }
  for (const listing of STORE_LISTINGS) {
    for (const [size, b] of backends) {
      probes.push({
        label: `${listing.label} @${size}`,
        run: async () => {
          useTable(documents, b.table);
          const page = await listProducts(listing.query);
          return { ok: page.items.length === 20, detail: `${page.items.length} items` };
        },
      });
    }
  }
  return probes;
}

/** Prints the small and large listings side by side; the section, report and goal. */
function scaleResult(context: BenchContext, latency: ReadonlyMap<string, LatencySamples>): PhaseResult {
  const large = context.options.scale;
  const listings = [...LISTINGS, ...STORE_LISTINGS];
  const summaries = listings.map((listing) => ({
    listing: listing.label,
    small: summarize(latency.get(`${listing.label} @${SMALL_SCALE}`)?.ms ?? []),
    large: summarize(latency.get(`${listing.label} @${large}`)?.ms ?? []),
  }));
  const scaleRows = summaries.map((s) => [
    s.listing,
    ms(s.small.p50),
    ms(s.large.p50),
    ratio(s.large.p50, s.small.p50),
    ms(s.small.p99),
    ms(s.large.p99),
  ]);
  const scaleHeaders = [
    'listing (first page of 20)',
    `p50 @${SMALL_SCALE}`,
    `p50 @${large}`,
    'ratio',
    `p99 @${SMALL_SCALE}`,
    `p99 @${large}`,
  ];
  context.print(
    `Listings at ${large} items in one partition against ${SMALL_SCALE} (ms, sequential, interleaved)`,
  );
  context.print(
    renderTable(
      scaleHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      scaleRows,
    ),
  );
  context.print();
  const ratios = summaries.slice(0, LISTINGS.length).map((s) => s.large.p50 / s.small.p50);
  return {
    report: { scale: summaries.map((s) => ({ ...s, ratio: s.large.p50 / s.small.p50 })) },
    sections: { scale: markdownTable(scaleHeaders, scaleRows, [1, 2, 3, 4, 5]) },
    goals: [
      {
        goal: `List endpoints at ${large} items vs ${SMALL_SCALE} (p50)`,
        target: '<= 1.10x',
        measured: LISTINGS.map(
          (l, i) =>
            `${l.label.split('?')[0]}${l.label.includes('category') ? '?category' : l.label.includes('status') ? '?status' : ''} ${(ratios[i] ?? 0).toFixed(2)}x`,
        ).join('; '),
        met: ratios.every((r) => r <= 1.1),
      },
    ],
  };
}

/** List endpoints (and the catalog store alone) on `--scale` products and orders against 1k. */
async function runScale(context: BenchContext): Promise<PhaseResult> {
  const prefixes = await seedSizes(context, [SMALL_SCALE, context.options.scale]);
  const backends = await startSizedBackends(context, prefixes);
  const ddb = await context.runtime.sharedDynamoDb();
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const probes = probesOf(backends, documents);
  context.progress(
    `Scale: ${context.options.requests} sequential requests per listing and size, interleaved...`,
  );
  const latency = await measureLatency(probes, context.options.requests, WARMUP_REQUESTS);
  const result = scaleResult(context, latency);
  for (const b of backends.values()) b.client.close();
  documents.destroy();
  return result;
}

export const scalePhase: BenchPhase = {
  name: 'scale',
  describe: 'list endpoints on --scale products and orders against the same listings at 1k',
  run: runScale,
};
