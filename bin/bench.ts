// `npm run bench -- [options]`: how fast and how costly the backend is, as ratios against floors
// measured in the same run (absolute numbers on a shared machine are noisy). Phases:
//   cold     bundle sizes and cold imports of every function of the synthesized template, two
//            GetItem floors (as a user would deploy it; with our build choices) and the levers
//   journey  first request per route through the local API (cold functions), then a warm
//            journey over every route: durations, DynamoDB requests and capacity -> cost model
//            and memory tuning
//   warm     50 parallel first requests over 10 cold functions; warm latency against a bare
//            GetItem round trip; throughput with autocannon at concurrency 1, 8, 64
//   scale    list endpoints on 100k products / orders against the same listings at 1k
// Options: --only cold,journey,warm,scale   --runs N (cold imports, 15)   --requests N (warm, 300)
//          --duration S (autocannon, 10)   --journeys N (warm journeys, 15)   --scale N (100000)
//          --json <file>   --write-docs (docs/performance.md, .json and the chart)
// Not part of `npm test`. Progress goes to stderr, the report to stdout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { listProducts } from '../functions/catalog/store.ts';
import { useTable } from '../functions/core/db.ts';
import {
  analyzeBundle,
  type BundleComposition,
  buildTo,
  FUNCTION_BANNER,
  functionBuildOptions,
  plainBuildOptions,
  replaceModule,
} from '../lib/bench/bundling.ts';
import { coldStartChart } from '../lib/bench/chart.ts';
import { type ColdStartSamples, measureColdStarts } from '../lib/bench/cold-start.ts';
import {
  chooseMemory,
  costPerMillion,
  FULL_VCPU_MB,
  type FunctionUsage,
  INIT_BUDGET_MS,
  modelledDurationMs,
  modelledInitMs,
  PRICES,
} from '../lib/bench/cost.ts';
import { markdownTable, replaceSections } from '../lib/bench/docs.ts';
import {
  type DynamoDbCall,
  type DynamoDbRecorder,
  startDynamoDbRecorder,
} from '../lib/bench/dynamodb-recorder.ts';
import { BenchClient, type BenchRequest } from '../lib/bench/http-client.ts';
import { genericRequest, journeyRoutes, runJourney, type StepResult } from '../lib/bench/journey.ts';
import { type LatencyProbe, type LatencySamples, measureLatency } from '../lib/bench/latency.ts';
import { SCALE_CATEGORY, SCALE_CUSTOMER, seedScaleTable } from '../lib/bench/scale.ts';
import { type Summary, summarize } from '../lib/bench/stats.ts';
import { kb, ms, ratio, renderTable } from '../lib/bench/table.ts';
import { type BenchTarget, floorTarget, functionTargets } from '../lib/bench/targets.ts';
import { type LoadResult, measureThroughput, processCpuMs } from '../lib/bench/throughput.ts';
import { bundleDefines, PROJECT_ROOT } from '../lib/constructs/endpoint-function.ts';
import { type DemoSeed, type ShopBackend, shopBackendOptions } from '../lib/demo/backend-hooks.ts';
import { demoProducts, localAdmin } from '../lib/demo/seed.ts';
import { readApiDefinition } from '../lib/local/apigateway/http/definition.ts';
import { type LocalBackendOptions, startLocalBackend } from '../lib/local/backend.ts';
import {
  readCloudAssembly,
  resourcesOfType,
  TemplateResolver,
} from '../lib/local/cloudformation/template.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../lib/local/dynamodb/launcher.ts';
import type { InvokeOutcome } from '../lib/local/lambda/outcome.ts';
import { synthesize } from '../lib/synth.ts';

const USAGE =
  'Usage: npm run bench -- [--only cold,journey,warm,scale] [--runs N] [--requests N] [--duration S] [--journeys N] [--scale N] [--json <file>] [--write-docs]';
const PHASES = ['cold', 'journey', 'warm', 'scale'] as const;
type Phase = (typeof PHASES)[number];
/** Requests per probe before timing starts: the function's cold start and the JIT's first passes. */
const WARMUP_REQUESTS = 30;
const CONCURRENCY = [1, 8, 64] as const;
/** The smaller listing the large one is compared with. */
const SMALL_SCALE = 1000;
const DOC = path.join(PROJECT_ROOT, 'docs', 'performance.md');
const DOC_JSON = path.join(PROJECT_ROOT, 'docs', 'performance.json');
const DOC_CHART = path.join(PROJECT_ROOT, 'docs', 'performance-cold-start.svg');
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
/** The function the levers are measured on: it has every part (SDK, secrets, cursor, schemas). */
const LEVER_SUBJECT = 'functions/catalog/list-products.ts';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function positiveInteger(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) fail(`--${flag} must be a positive integer, got "${value}".`);
  return parsed;
}

interface Options {
  readonly phases: ReadonlySet<Phase>;
  readonly runs: number;
  readonly requests: number;
  readonly duration: number;
  readonly journeys: number;
  readonly scale: number;
  readonly json: string | undefined;
  readonly writeDocs: boolean;
}

function parseOptions(): Options {
  try {
    const { values } = parseArgs({
      options: {
        only: { type: 'string' },
        runs: { type: 'string', default: '15' },
        requests: { type: 'string', default: '300' },
        duration: { type: 'string', default: '10' },
        journeys: { type: 'string', default: '15' },
        scale: { type: 'string', default: '100000' },
        json: { type: 'string' },
        'write-docs': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const only = values.only ? values.only.split(',').map((p) => p.trim()) : [...PHASES];
    for (const phase of only)
      if (!(PHASES as readonly string[]).includes(phase)) fail(`Unknown phase "${phase}".`);
    return {
      phases: new Set(only as Phase[]),
      runs: positiveInteger('runs', values.runs),
      requests: positiveInteger('requests', values.requests),
      duration: positiveInteger('duration', values.duration),
      journeys: positiveInteger('journeys', values.journeys),
      scale: positiveInteger('scale', values.scale),
      // npm runs scripts from the package root; a relative path means the caller's directory.
      json: values.json ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json) : undefined,
      writeDocs: values['write-docs'],
    };
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

const options = parseOptions();
const progress = (text: string) => process.stderr.write(`• ${text}\n`);
const print = (text = '') => process.stdout.write(`${text}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// Everything this run starts, stopped once, whether it ends normally, fails or is interrupted.
const workDir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
const running: { stop(): Promise<void> }[] = [];
let cleaned: Promise<void> | undefined;
let interrupted = false;
const cleanup = (): Promise<void> =>
  (cleaned ??= (async () => {
    for (const thing of running.splice(0).reverse()) await thing.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal}: stopping what this run started...`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Stops a backend now (it frees its threads for the next phase) and forgets it. */
async function stopBackend(backend: ShopBackend): Promise<void> {
  const index = running.indexOf(backend);
  if (index >= 0) running.splice(index, 1);
  await backend.stop();
}

/** The report, written as JSON and into the docs. */
const report: Record<string, unknown> = {};
/** Generated sections of docs/performance.md. */
const sections: Record<string, string> = {};
/** Each goal of issue 13 with its measured figure. */
const goals: { goal: string; target: string; measured: string; met: boolean | undefined }[] = [];

const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
const x = (value: number, floor: number) => (floor > 0 ? value / floor : Number.NaN);

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------
const cpus = os.cpus();
const machine = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()}/${os.arch()}`,
  cpus: `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
  loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
};
report.machine = machine;
print(`Shop backend benchmark, ${machine.date}`);
print(`  Node ${machine.node} on ${machine.platform} (Lambda runs Node 24 on arm64); ${machine.cpus}`);
print(
  `  load average at start ${machine.loadAverageAtStart.join(' ')} (other work on this machine shows up here)`,
);
print(`  phases: ${[...options.phases].join(', ')}`);
print('  Read the ratios: they compare against floors measured in this same run.');
print();

// ---------------------------------------------------------------------------------------------
// Synthesis (shared by all phases)
// ---------------------------------------------------------------------------------------------
const synthStarted = performance.now();
progress(
  'Synthesizing the local environment (the bundles a deploy would ship; reused when sources are unchanged)...',
);
const { outdir, synthesized } = synthesize('local', path.join(PROJECT_ROOT, '.local', 'bench', 'cdk.out'), {
  reuse: true,
});
progress(`${synthesized ? 'Synthesized' : 'Reused the last synthesis'} in ${seconds(synthStarted)}`);
const assembly = readCloudAssembly(outdir);
const functions = functionTargets(
  assembly,
  new TemplateResolver(assembly, { tableNamePrefix: 'shop-local-' }),
);
/** Route key -> function logical id, and the reverse, from the template. */
const api = readApiDefinition(new TemplateResolver(assembly, {}));
const functionOfRoute = new Map(api.routes.map((r) => [r.routeKey, r.functionLogicalId]));
const targetByLogicalId = new Map(functions.map((f) => [f.logicalId, f]));
const nameOf = (logicalId: string) => targetByLogicalId.get(logicalId)?.name ?? logicalId;
progress(`${functions.length} functions of ours in the template`);

// ---------------------------------------------------------------------------------------------
// Phase: cold (bundles, cold imports, floors, levers)
// ---------------------------------------------------------------------------------------------
const FLOOR_EMPTY = 'floor:empty';
const FLOOR_PLAIN = 'floor:getitem';
const FLOOR_OURS = 'floor:getitem-ours';
const FLOOR_METRICS = 'floor:metrics';
const FLOOR_TRACER = 'floor:tracer';
let cold: Map<string, ColdStartSamples> | undefined;
let plainFloorImport: Summary | undefined;

interface Lever {
  readonly name: string;
  readonly what: string;
  readonly decision: string;
  readonly target: BenchTarget;
}

async function coldPhase(): Promise<void> {
  for (const fn of functions) {
    if (!readFileSync(fn.bundle, 'utf8').startsWith(FUNCTION_BANNER)) {
      progress(
        `WARNING: ${fn.name}'s bundle does not start with the banner lib/bench/bundling.ts expects; ` +
          'the bundling options in lib/constructs/endpoint-function.ts may have changed.',
      );
    }
  }
  const like = functions.find((fn) => fn.environment.TABLE_NAME) ?? (functions[0] as BenchTarget);
  progress('Bundling the floors and the levers, analyzing every bundle (esbuild metafiles)...');
  const compositions = new Map<string, BundleComposition>();
  const dirOf = (name: string) => path.join(workDir, name.replace(/[:/]/g, '-'));
  const floorSpecs = [
    {
      name: FLOOR_EMPTY,
      label: 'empty handler, plain build',
      entry: 'lib/bench/floors/empty-handler.ts',
      ours: false,
    },
    {
      name: FLOOR_PLAIN,
      label: 'one GetItem as a user deploys it: minified ESM, no source map, default credential chain',
      entry: 'lib/bench/floors/get-item-handler.ts',
      ours: false,
    },
    {
      name: FLOOR_OURS,
      label: 'the same GetItem built and run like our functions (credential alias, map beside it)',
      entry: 'lib/bench/floors/get-item-handler.ts',
      ours: true,
    },
    // What observability costs at cold start: against the empty floor and our-build GetItem floor.
    {
      name: FLOOR_METRICS,
      label: 'empty handler + Powertools Metrics, built like ours',
      entry: 'lib/bench/floors/metrics-handler.ts',
      ours: true,
    },
    {
      name: FLOOR_TRACER,
      label: 'GetItem + Powertools Tracer, built like ours',
      entry: 'lib/bench/floors/tracer-handler.ts',
      ours: true,
    },
  ];
  const floors: BenchTarget[] = [];
  for (const spec of floorSpecs) {
    const outfile = path.join(dirOf(spec.name), 'index.mjs');
    compositions.set(
      spec.name,
      await buildTo(
        spec.ours ? functionBuildOptions(spec.entry, outfile) : plainBuildOptions(spec.entry, outfile),
      ),
    );
    floors.push(floorTarget(spec.name, spec.label, spec.entry, dirOf(spec.name), like, !spec.ours));
  }

  const subject = functions.find((fn) => fn.entry === LEVER_SUBJECT);
  const levers: Lever[] = [];
  if (subject) {
    const leverSpecs: {
      name: string;
      what: string;
      decision: string;
      entry: string;
      build: (outfile: string) => Parameters<typeof buildTo>[0];
      nodeOptions?: string;
    }[] = [
      {
        name: 'lever:shipped',
        what: 'GET /products as shipped',
        decision: 'the reference',
        entry: LEVER_SUBJECT,
        build: (o) => functionBuildOptions(LEVER_SUBJECT, o),
      },
      {
        name: 'lever:default-chain',
        what: 'with the SDK default credential chain (no alias)',
        decision: 'alias applied: chain reduced to fromEnv',
        entry: LEVER_SUBJECT,
        build: (o) => ({ ...functionBuildOptions(LEVER_SUBJECT, o), alias: {} }),
      },
      {
        name: 'lever:source-maps-on',
        what: 'with NODE_OPTIONS=--enable-source-maps',
        decision: 'dropped: maps read lazily on error',
        entry: LEVER_SUBJECT,
        build: (o) => functionBuildOptions(LEVER_SUBJECT, o),
        nodeOptions: '--enable-source-maps',
      },
      {
        name: 'lever:cjs-main-fields',
        what: "with esbuild's default main fields (main,module: CommonJS builds)",
        decision: 'kept module,main',
        entry: LEVER_SUBJECT,
        build: (o) => ({ ...functionBuildOptions(LEVER_SUBJECT, o), mainFields: undefined }),
      },
      {
        name: 'lever:lazy-secrets',
        what: 'with the Secrets Manager client imported on first use',
        decision: 'rejected: bigger and slower under esbuild',
        entry: LEVER_SUBJECT,
        build: (o) => ({
          ...functionBuildOptions(LEVER_SUBJECT, o),
          plugins: [replaceModule('functions/core/secrets.ts', 'lib/bench/levers/lazy-secrets.ts')],
        }),
      },
      {
        name: 'lever:zod-mini',
        what: 'a product schema alone, zod/mini (what the code uses)',
        decision: 'kept zod/mini',
        entry: 'lib/bench/levers/zod-mini.ts',
        build: (o) => functionBuildOptions('lib/bench/levers/zod-mini.ts', o),
      },
      {
        name: 'lever:zod-classic',
        what: 'the same schema, classic zod',
        decision: '(comparison)',
        entry: 'lib/bench/levers/zod-classic.ts',
        build: (o) => functionBuildOptions('lib/bench/levers/zod-classic.ts', o),
      },
    ];
    for (const spec of leverSpecs) {
      const dir = dirOf(spec.name);
      compositions.set(spec.name, await buildTo(spec.build(path.join(dir, 'index.mjs'))));
      const base = floorTarget(spec.name, spec.what, spec.entry, dir, subject, false);
      const environment: Record<string, string> = { ...subject.environment, LAMBDA_TASK_ROOT: dir };
      if (spec.nodeOptions) environment.NODE_OPTIONS = spec.nodeOptions;
      levers.push({
        name: spec.name,
        what: spec.what,
        decision: spec.decision,
        target: { ...base, environment },
      });
    }
  } else {
    progress(`No function is built from ${LEVER_SUBJECT}; the levers are not measured.`);
  }
  await Promise.all(
    functions.map(async (fn) =>
      compositions.set(
        fn.name,
        await analyzeBundle(fn.entry, bundleDefines(fn.environment.SHOP_TRACED_CALLS === 'true')),
      ),
    ),
  );

  const plain = floors.find((f) => f.name === FLOOR_PLAIN) as BenchTarget;
  const targets = [...floors, ...functions, ...levers.map((l) => l.target)];
  const coldStarted = performance.now();
  progress(
    `Cold starts: ${targets.length} bundles x ${options.runs} fresh processes, interleaved (+1 warm-up round)...`,
  );
  cold = await measureColdStarts(targets, options.runs, (round, total) => {
    if (round % 5 === 0 || round === total) progress(`  cold-start round ${round}/${total}`);
  });
  progress(`Cold starts measured in ${seconds(coldStarted)}`);
  const coldOf = (name: string) =>
    summarize((cold as Map<string, ColdStartSamples>).get(name)?.importMs ?? []);
  const rssOf = (name: string) =>
    summarize((cold as Map<string, ColdStartSamples>).get(name)?.rssMb ?? []).p50;
  const plainImport = coldOf(FLOOR_PLAIN);
  plainFloorImport = plainImport;
  const oursFloorImport = coldOf(FLOOR_OURS);
  const emptyFloor = coldOf(FLOOR_EMPTY);

  const partsBeyond = (name: string) => {
    const parts = compositions.get(name);
    const floorParts = compositions.get(FLOOR_PLAIN);
    if (!parts) return '';
    return [...parts.byPart]
      .map(([part, bytes]) => [part, bytes - (floorParts?.byPart.get(part) ?? 0)] as const)
      .filter(([, bytes]) => bytes >= 1024)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([part, bytes]) => `${part} ${kb(bytes)}`)
      .join(', ');
  };
  const rows = [...floors, ...functions].map((t) => {
    const s = coldOf(t.name);
    return {
      target: t,
      p50: s.p50,
      p90: s.p90,
      xPlain: x(s.p50, plainImport.p50),
      xOurs: x(s.p50, oursFloorImport.p50),
      sizeX: x(t.bundleBytes, plain.bundleBytes),
      rss: rssOf(t.name),
    };
  });
  const headers = [
    'bundle',
    'invoked by',
    'index.mjs KB',
    'x floor size',
    'import p50 ms',
    'p90 ms',
    'x GetItem floor',
    'x floor (our build)',
    'RSS MB',
  ];
  const cells = rows.map((r) => [
    r.target.name,
    r.target.label.length > 48 ? `${r.target.label.slice(0, 45)}...` : r.target.label,
    kb(r.target.bundleBytes),
    ratio(r.target.bundleBytes, plain.bundleBytes),
    ms(r.p50),
    ms(r.p90),
    ratio(r.p50, plainImport.p50),
    ratio(r.p50, oursFloorImport.p50),
    r.rss.toFixed(0),
  ]);
  print(`Bundles and cold imports (await import(index.mjs) in a fresh Node process, n=${options.runs})`);
  print(
    renderTable(
      headers.map((header, i) => ({ header, align: i >= 2 ? 'right' : 'left' })),
      cells,
    ),
  );
  print(`  Empty-handler floor: ${ms(emptyFloor.p50)} ms (what Node costs to import any ESM file).`);
  const floorCost = (name: string, base: { p50: number }) => ms(coldOf(name).p50 - base.p50);
  print(
    `  Observability at cold start (medians): Powertools Metrics adds ${floorCost(FLOOR_METRICS, emptyFloor)} ms ` +
      `(floor:metrics - floor:empty); the Tracer adds ${floorCost(FLOOR_TRACER, oursFloorImport)} ms ` +
      '(floor:tracer - floor:getitem-ours), paid only where observability.tracedCalls bundles it.',
  );
  print('  Beyond the GetItem floor (KB of minified output), largest parts:');
  for (const fn of functions)
    print(`    ${fn.name.padEnd(36)} ${partsBeyond(fn.name) || '(nothing beyond the floor)'}`);
  print();

  const leverRows = levers.map((l) => {
    const s = coldOf(l.name);
    return { lever: l, p50: s.p50, p90: s.p90 };
  });
  const shipped = leverRows.find((r) => r.lever.name === 'lever:shipped');
  const leverCells = leverRows.map((r) => [
    r.lever.what,
    kb(r.lever.target.bundleBytes),
    ms(r.p50),
    r.lever.name.startsWith('lever:zod') ? '' : ratio(r.p50, shipped?.p50 ?? Number.NaN),
    r.lever.decision,
  ]);
  if (leverRows.length > 0) {
    print(`Levers on ${LEVER_SUBJECT} (and zod alone), cold import n=${options.runs}`);
    print(
      renderTable(
        [
          { header: 'variant' },
          { header: 'KB', align: 'right' },
          { header: 'p50 ms', align: 'right' },
          { header: 'vs shipped', align: 'right' },
          { header: 'decision' },
        ],
        leverCells,
      ),
    );
    print();
  }

  const functionRows = rows.filter((r) => r.target.kind === 'function');
  const overImport = functionRows.filter((r) => r.xPlain > 1.0);
  const overSize = functionRows.filter((r) => r.sizeX > 1.1);
  const maxImport = Math.max(...functionRows.map((r) => r.xPlain));
  const maxSize = Math.max(...functionRows.map((r) => r.sizeX));
  goals.push(
    {
      goal: 'Cold import of every function vs the GetItem floor as a user deploys it',
      target: '<= 1.00x',
      measured: `max ${maxImport.toFixed(2)}x${overImport.length ? ` (over: ${overImport.map((r) => r.target.name).join(', ')})` : ''}; vs our-build floor max ${Math.max(...functionRows.map((r) => r.xOurs)).toFixed(2)}x`,
      met: overImport.length === 0,
    },
    {
      goal: 'Bundle size of every function vs the GetItem floor',
      target: '<= 1.10x',
      measured: `max ${maxSize.toFixed(2)}x${overSize.length ? ` (over: ${overSize.map((r) => r.target.name).join(', ')})` : ''}`,
      met: overSize.length === 0,
    },
  );

  report.cold = {
    runs: options.runs,
    floors: floors.map((f) => ({
      name: f.name,
      label: f.label,
      bundleBytes: f.bundleBytes,
      ...coldOf(f.name),
    })),
    functions: rows
      .filter((r) => r.target.kind === 'function')
      .map((r) => ({
        name: r.target.name,
        label: r.target.label,
        entry: r.target.entry,
        bundleBytes: r.target.bundleBytes,
        mapBytes: r.target.mapBytes,
        importMs: coldOf(r.target.name),
        xPlainFloor: r.xPlain,
        xOurFloor: r.xOurs,
        sizeXFloor: r.sizeX,
        rssMb: r.rss,
        parts: Object.fromEntries(compositions.get(r.target.name)?.byPart ?? []),
      })),
    levers: leverRows.map((r) => ({
      name: r.lever.name,
      what: r.lever.what,
      bundleBytes: r.lever.target.bundleBytes,
      importMs: coldOf(r.lever.name),
      decision: r.lever.decision,
    })),
  };

  sections.bundles = markdownTable(
    [
      'function',
      'invoked by',
      'index.mjs KB',
      'x floor',
      'import p50 ms',
      'p90 ms',
      'x GetItem floor',
      'x our-build floor',
      'RSS MB',
    ],
    cells.map((c) => c.map((cell) => cell.replace(/\|/g, '\\|'))),
    [2, 3, 4, 5, 6, 7, 8],
  );
  sections.levers = markdownTable(
    ['variant', 'index.mjs KB', 'import p50 ms', 'vs shipped', 'decision'],
    leverCells,
    [1, 2, 3],
  );
  const chart = coldStartChart(
    `Cold import per function (median of ${options.runs} fresh processes, ${machine.date.slice(0, 10)})`,
    functionRows.map((r) => ({ name: r.target.name, p50: r.p50, p90: r.p90 })),
    [
      { label: 'GetItem floor (user build)', ms: plainImport.p50, color: '#c0392b' },
      { label: 'GetItem floor (our build)', ms: oursFloorImport.p50, color: '#27ae60' },
    ],
  );
  report.chartSvg = chart;
}

// ---------------------------------------------------------------------------------------------
// Shared by the API phases
// ---------------------------------------------------------------------------------------------
let dynamodb: DynamoDbLocal | undefined;
async function sharedDynamoDb(): Promise<DynamoDbLocal> {
  if (!dynamodb) {
    progress('Starting DynamoDB Local (shared by every backend of this run, each with tables of its own)...');
    dynamodb = await startDynamoDbLocal({});
    running.push(dynamodb);
  }
  return dynamodb;
}

const backendLog: string[] = [];
const keepLog = (line: string) => {
  backendLog.push(line);
  if (backendLog.length > 60) backendLog.shift();
};

async function startBackend(
  prefix: string,
  extra: Partial<LocalBackendOptions<DemoSeed | undefined>> = {},
): Promise<ShopBackend> {
  const ddb = await sharedDynamoDb();
  const backend = await startLocalBackend({
    assemblyDir: outdir,
    dynamodbEndpoint: ddb.endpoint,
    tableNamePrefix: prefix,
    port: 0,
    ...shopBackendOptions(),
    runSchedules: false,
    log: keepLog,
    ...extra,
  });
  running.push(backend);
  return backend;
}

function functionVariable(backend: ShopBackend, variable: string): string | undefined {
  for (const fn of backend.functions.values())
    if (fn.spec.environment[variable]) return fn.spec.environment[variable];
  return undefined;
}

async function secretOf(backend: ShopBackend, arnVariable: string): Promise<string> {
  const arn = functionVariable(backend, arnVariable);
  if (!arn) throw new Error(`No function has ${arnVariable}.`);
  const client = new SecretsManagerClient({
    endpoint: backend.secretsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '';
  } finally {
    client.destroy();
  }
}

async function login(client: BenchClient, credentials: { email: string; password: string }): Promise<string> {
  const res = await client.request({
    method: 'POST',
    path: '/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (res.status !== 200)
    throw new Error(`Login of ${credentials.email} answered ${res.status}: ${res.body.slice(0, 300)}`);
  return String((JSON.parse(res.body) as { accessToken: string }).accessToken);
}

const summaryRow = (label: string, s: Summary, failures = 0) => [
  label,
  String(s.n),
  ms(s.p50),
  ms(s.p95),
  ms(s.p99),
  ms(s.max),
  String(failures),
];

// ---------------------------------------------------------------------------------------------
// Phase: journey (first requests, cost, tuning)
// ---------------------------------------------------------------------------------------------
async function journeyPhase(): Promise<void> {
  const ddb = await sharedDynamoDb();
  const tableResource = resourcesOfType(assembly, 'AWS::DynamoDB::Table')[0]?.resource;
  const indexes = (
    (tableResource?.Properties?.GlobalSecondaryIndexes as
      | { KeySchema: { AttributeName: string }[] }[]
      | undefined) ?? []
  ).map((index) => index.KeySchema.map((key) => key.AttributeName));
  const recorder: DynamoDbRecorder = await startDynamoDbRecorder(ddb.endpoint, indexes);
  running.push(recorder);
  progress('Starting a fresh backend whose functions reach DynamoDB through a capacity-recording proxy...');
  const backend = await startBackend('bench-journey-', {
    functionEnvironment: (logicalId) => ({ AWS_ENDPOINT_URL_DYNAMODB: recorder.endpointFor(logicalId) }),
  });
  const outcomes = new Map<string, InvokeOutcome[]>();
  for (const [logicalId, fn] of backend.functions) {
    fn.observe((outcome) => outcomes.set(logicalId, [...(outcomes.get(logicalId) ?? []), outcome]));
  }
  const client = new BenchClient(backend.url);
  const context = {
    admin: backend.seeded?.admin ?? localAdmin(),
    productId: demoProducts()[0]?.id ?? '',
    webhookSecret: await secretOf(backend, 'PAYMENT_WEBHOOK_SECRET_ARN'),
  };

  // First requests: every function is cold when the journey first reaches its route.
  progress('First request per route: one journey over every route on the fresh backend...');
  const first: { route: string; status: number; clientMs: number; initMs?: number; cold: boolean }[] = [];
  const seen = new Set<string>();
  const record = (route: string, status: number, clientMs: number) => {
    if (seen.has(route)) return;
    seen.add(route);
    const logicalId = functionOfRoute.get(route);
    const last = logicalId ? outcomes.get(logicalId)?.at(-1) : undefined;
    first.push({ route, status, clientMs, initMs: last?.initMs, cold: last?.coldStart ?? false });
  };
  await runJourney(client, context, {
    strict: true,
    onStep: (step: StepResult) => record(step.route, step.status, step.ms),
  });
  const covered = journeyRoutes(context);
  const uncovered = api.routes.filter((route) => !covered.has(route.routeKey));
  if (uncovered.length > 0) {
    progress(`${uncovered.length} routes the journey does not know; one generic request each...`);
    const admin = await login(client, context.admin);
    for (const route of uncovered) {
      const res = await client.request(genericRequest(route, { user: admin, admin }));
      record(route.routeKey, res.status, res.ms);
    }
  }
  const floorMs = plainFloorImport?.p50;
  print('First request per route through the local API (its function cold: worker start, init, invoke)');
  const firstRows = first.map((f) => [
    f.route,
    String(f.status),
    f.cold ? 'yes' : 'no (started earlier)',
    ms(f.initMs ?? Number.NaN),
    ms(f.clientMs),
    floorMs ? ratio(f.clientMs, floorMs) : '-',
  ]);
  const firstHeaders = ['route', 'status', 'cold', 'init ms', 'first request ms', 'x floor cold import'];
  print(
    renderTable(
      firstHeaders.map((header, i) => ({ header, align: i >= 3 ? 'right' : 'left' })),
      firstRows,
    ),
  );
  print(
    '  init: the function module import inside the execution environment; first request: client side, all of it.',
  );
  print(
    '  The floor is the GetItem floor cold import (phase cold); a first request adds the worker thread, the',
  );
  print('  invocation and its DynamoDB calls, which the import alone does not have.');
  print();
  sections['first-requests'] = markdownTable(firstHeaders, firstRows, [3, 4, 5]);
  report.firstRequests = first;
  const firstMedian = summarize(first.filter((f) => f.cold).map((f) => f.clientMs)).p50;
  goals.push({
    goal: 'First request per route through the local API (report against the floor cold import)',
    target: 'reported',
    measured: `median ${ms(firstMedian)} ms${floorMs ? ` = ${ratio(firstMedian, floorMs)} the floor's cold import` : ''}`,
    met: undefined,
  });

  // Warm journeys: what each function costs per invocation.
  for (const logicalId of backend.functions.keys()) recorder.take(logicalId);
  outcomes.clear();
  progress(`Warm journeys: ${options.journeys} more runs over every route, recording DynamoDB capacity...`);
  let failed = 0;
  for (let i = 0; i < options.journeys; i++) {
    const steps = await runJourney(client, context, { strict: false });
    failed += steps.filter((s) => !s.ok).length;
    progress(
      `  journey ${i + 1}/${options.journeys}: ${steps.length} requests, ${steps.filter((s) => !s.ok).length} unexpected answers`,
    );
  }
  // Stream consumers run after the writes; give them a moment to finish theirs.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const usage: (FunctionUsage & { logicalId: string; routes: string[] })[] = [];
  for (const [logicalId, list] of outcomes) {
    const warm = list.filter((o) => o.ok && !o.coldStart);
    if (warm.length === 0) continue;
    const calls: DynamoDbCall[] = recorder.take(logicalId);
    const name = nameOf(logicalId);
    const invocations = list.length;
    const coldStats = cold?.get(name);
    usage.push({
      logicalId,
      name,
      routes: api.routes.filter((r) => r.functionLogicalId === logicalId).map((r) => r.routeKey),
      invocations,
      handlerMs: summarize(warm.map((o) => o.handlerMs ?? o.durationMs)).p50,
      // The function's thread, plus what ran in Node's thread pool for it (scrypt): the
      // process's CPU meanwhile less the emulator thread's.
      cpuMs: summarize(
        warm.map((o) => Math.max(o.cpuMs ?? 0, (o.processCpuMs ?? 0) - (o.mainThreadCpuMs ?? 0))),
      ).p50,
      dynamoDbRequests: calls.length / invocations,
      readUnits: calls.reduce((sum, c) => sum + c.readUnits, 0) / invocations,
      writeUnits: calls.reduce((sum, c) => sum + c.writeUnits, 0) / invocations,
      ...(coldStats
        ? { initMs: summarize(coldStats.importMs).p50, rssMb: summarize(coldStats.rssMb).p50 }
        : {}),
      heapUsedMb: Math.max(...warm.map((o) => o.heapUsedMb ?? 0)),
    });
  }
  usage.sort((a, b) => a.name.localeCompare(b.name));
  const costRows = usage.map((u) => {
    const memoryMb = targetByLogicalId.get(u.logicalId)?.memoryMb ?? 1024;
    const cost = costPerMillion(u, memoryMb, u.routes.length > 0);
    return [
      u.routes.join(', ') || u.name,
      String(u.invocations),
      u.dynamoDbRequests.toFixed(2),
      u.readUnits.toFixed(2),
      u.writeUnits.toFixed(2),
      ms(u.handlerMs),
      ms(u.cpuMs),
      String(memoryMb),
      `$${cost.lambdaDuration.toFixed(2)}`,
      `$${(cost.dynamoDbReads + cost.dynamoDbWrites).toFixed(2)}`,
      `$${cost.total.toFixed(2)}`,
    ];
  });
  const costHeaders = [
    'endpoint (or function)',
    'calls',
    'DynamoDB req/call',
    'RRU/call',
    'WRU/call',
    'handler ms',
    'CPU ms',
    'memory MB',
    'Lambda GB-s /1M',
    'DynamoDB /1M',
    'total /1M',
  ];
  print(
    `Cost per endpoint (warm journeys; prices ${PRICES.region}, as of ${PRICES.asOf}; ${failed} unexpected answers)`,
  );
  print(
    renderTable(
      costHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      costRows,
    ),
  );
  print(
    `  total = Lambda requests $${PRICES.lambdaPerMillionRequests} + duration (modelled at the memory shown) + HTTP API $${PRICES.httpApiPerMillionRequests}`,
  );
  print(
    `  (endpoints only) + DynamoDB on-demand ($${PRICES.dynamoDbPerMillionReadUnits}/M RRU, $${PRICES.dynamoDbPerMillionWriteUnits}/M WRU), per million calls.`,
  );
  print();
  sections.cost = markdownTable(
    costHeaders,
    costRows.map((r) => r.map((c) => c.replace(/\|/g, '\\|'))),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );

  const tuningRows = usage.map((u) => {
    const configured = targetByLogicalId.get(u.logicalId)?.memoryMb ?? 0;
    const choice = chooseMemory(u);
    return [
      u.name,
      ms(u.handlerMs),
      ms(u.cpuMs),
      ms(u.initMs ?? Number.NaN),
      ms(modelledDurationMs(u, 512)),
      ms(modelledDurationMs(u, 1024)),
      ms(modelledDurationMs(u, FULL_VCPU_MB)),
      ms(modelledInitMs(u, choice.memoryMb) ?? Number.NaN),
      String(choice.memoryMb),
      String(configured),
      configured === choice.memoryMb ? '' : 'differs',
    ];
  });
  const tuningHeaders = [
    'function',
    'handler ms',
    'CPU ms',
    'import ms',
    'at 512 MB',
    'at 1024 MB',
    `at ${FULL_VCPU_MB} MB`,
    'init at choice',
    'recommended MB',
    'configured MB',
    '',
  ];
  print(
    `Memory tuning (model: CPU time scales with 1/memory below ${FULL_VCPU_MB} MB, waiting does not; rule in lib/bench/cost.ts, init budget ${INIT_BUDGET_MS} ms)`,
  );
  print(
    renderTable(
      tuningHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      tuningRows,
    ),
  );
  print('  As lib/config/function-memory.ts would hold it (by handler entry):');
  for (const u of usage) {
    const entry = targetByLogicalId.get(u.logicalId)?.entry;
    if (entry) print(`    '${entry}': ${chooseMemory(u).memoryMb},`);
  }
  print();
  sections.tuning = markdownTable(tuningHeaders, tuningRows, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  report.usage = usage.map((u) => ({
    ...u,
    configuredMemoryMb: targetByLogicalId.get(u.logicalId)?.memoryMb,
    recommended: chooseMemory(u),
    costPerMillion: costPerMillion(
      u,
      targetByLogicalId.get(u.logicalId)?.memoryMb ?? 1024,
      u.routes.length > 0,
    ),
  }));
  report.prices = PRICES;
  client.close();
  await stopBackend(backend);
}

/**
 * Splits the warm `GET /products/{id}` into its parts, as medians of per-request differences:
 * the client's time minus the runtime's (HTTP both ways, routing, the event, the response), the
 * runtime's minus the handler's (the event to the environment's thread and the result back),
 * and the handler against the floor (the same GetItem plus middy, validation and the response).
 * Pairs requests with invocations by order; both are sequential, warm-ups first.
 */
function warmBreakdown(
  floorMs: readonly number[],
  product: LatencySamples,
  invocations: readonly { durationMs: number; handlerMs: number }[],
): void {
  const measured = invocations.slice(-product.ms.length);
  if (product.failures > 0 || measured.length !== product.ms.length || measured.length === 0) {
    print(
      `Warm breakdown skipped: ${product.failures} failed requests, ${measured.length} invocations seen.`,
    );
    print();
    return;
  }
  const floor = summarize([...floorMs]).p50;
  const p50 = (values: number[]) => summarize(values).p50;
  const handler = p50(measured.map((m) => m.handlerMs));
  const hop = p50(measured.map((m) => m.durationMs - m.handlerMs));
  const api = p50(product.ms.map((client, i) => client - (measured[i] as { durationMs: number }).durationMs));
  const total = p50([...product.ms]);
  const two = (value: number) => value.toFixed(2);
  const rows = [
    ['floor: GetItem round trip', two(floor), ratio(floor, floor)],
    ['function handler (its GetItem, middy, validation, response)', two(handler), ratio(handler, floor)],
    ['environment hop (event to the worker thread, result back)', two(hop), ratio(hop, floor)],
    ['API layer (HTTP both ways, routing, event, response)', two(api), ratio(api, floor)],
    ['GET /products/{id}, client side', two(total), ratio(total, floor)],
  ];
  const headers = ['part (medians)', 'p50 ms', 'x floor'];
  print('Where a warm GET /products/{id} spends its time');
  print(
    renderTable(
      headers.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      rows,
    ),
  );
  print('  Medians of per-request differences; the parts need not add up to the total exactly.');
  print();
  sections['warm-breakdown'] = markdownTable(headers, rows, [1, 2]);
  report.warmBreakdown = {
    floorMs: floor,
    handlerMs: handler,
    environmentHopMs: hop,
    apiLayerMs: api,
    totalMs: total,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase: warm (burst of cold starts, latency, throughput)
// ---------------------------------------------------------------------------------------------
async function warmPhase(): Promise<void> {
  progress('Starting a fresh backend for the burst, latency and throughput...');
  const backend = await startBackend('bench-warm-');
  const client = new BenchClient(backend.url);
  const ids = demoProducts().map((p) => p.id);

  // A user to read /me as (registering warms only the register function).
  const email = `bench-${Date.now()}@example.com`;
  const registered = await client.request({
    method: 'POST',
    path: '/auth/register',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench password one', displayName: 'Bench' }),
  });
  if (registered.status !== 201)
    throw new Error(`Registering answered ${registered.status}: ${registered.body}`);
  const session = JSON.parse(registered.body) as { accessToken: string; user: { id: string } };
  const auth = { authorization: `Bearer ${session.accessToken}` };

  // 50 parallel first requests spread over 10 cold functions.
  const burstRoutes: BenchRequest[] = [
    { path: '/health' },
    { path: '/openapi.json' },
    { path: '/.well-known/openid-configuration' },
    { path: '/.well-known/jwks.json' },
    { path: '/products?limit=5' },
    { path: `/products/${ids[0]}` },
    { path: `/users/${session.user.id}` },
    { path: '/me', headers: auth },
    { path: '/me/preferences', headers: auth },
    { path: '/orders', headers: auth },
  ];
  progress('Burst: 50 parallel first requests over 10 cold functions...');
  const burstStarted = performance.now();
  const burst = await Promise.all(
    Array.from({ length: 50 }, (_, i) => client.request(burstRoutes[i % burstRoutes.length] as BenchRequest)),
  );
  const burstMs = performance.now() - burstStarted;
  const statuses: Record<string, number> = {};
  for (const res of burst) statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  const environments = [...backend.functions.values()].reduce((sum, fn) => sum + fn.instanceCount, 0);
  const burstSummary = summarize(burst.map((r) => r.ms));
  print(
    `Burst of cold starts: 50 parallel first requests over 10 functions -> ${Object.entries(statuses)
      .map(([s, n]) => `${n} x ${s}`)
      .join(
        ', ',
      )} in ${ms(burstMs)} ms (p50 ${ms(burstSummary.p50)} ms, max ${ms(burstSummary.max)} ms); ${environments} environments running`,
  );
  print();
  report.burst = { statuses, wallMs: burstMs, latency: burstSummary, environments };
  sections.burst = `50 parallel first requests over 10 cold functions: ${Object.entries(statuses)
    .map(([s, n]) => `${n} × ${s}`)
    .join(
      ', ',
    )}, all answered within ${ms(burstMs)} ms (p50 ${ms(burstSummary.p50)} ms); ${environments} execution environments were started.`;
  goals.push({
    goal: '50 parallel first requests over 10 cold functions all succeed',
    target: '50 x 200',
    measured: Object.entries(statuses)
      .map(([s, n]) => `${n} x ${s}`)
      .join(', '),
    met: statuses['200'] === 50,
  });

  // Warm latency against a bare GetItem round trip from Node to the same DynamoDB Local.
  const table = backend.tables[0]?.name ?? '';
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: backend.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    }),
  );
  const check = (status: number, body: string) => ({
    ok: status === 200,
    detail: `${status} ${body.slice(0, 200)}`,
  });
  const floorLabel = 'floor: GetItem round trip (SDK in this process -> DynamoDB Local)';
  const probes: LatencyProbe[] = [
    {
      label: floorLabel,
      run: async (i) => {
        const out = await documents.send(
          new GetCommand({ TableName: table, Key: { pk: `PRODUCT#${ids[i % ids.length]}`, sk: 'PRODUCT' } }),
        );
        return { ok: Boolean(out.Item), detail: 'no item' };
      },
    },
    {
      label: 'GET /health',
      run: async () => client.request({ path: '/health' }).then((r) => check(r.status, r.body)),
    },
    {
      label: 'GET /products/{id}',
      run: async (i) =>
        client.request({ path: `/products/${ids[i % ids.length]}` }).then((r) => check(r.status, r.body)),
    },
    {
      label: 'GET /products?limit=20',
      run: async () => client.request({ path: '/products?limit=20' }).then((r) => check(r.status, r.body)),
    },
    {
      label: 'GET /me (JWT)',
      run: async () => client.request({ path: '/me', headers: auth }).then((r) => check(r.status, r.body)),
    },
  ];
  // The runtime reports each invocation's wall time on the emulator's side and the handler's
  // inside its environment: with the client's time they split a warm request into its parts.
  const productFunction = [...backend.functions.values()].find((fn) =>
    fn.spec.logicalId.startsWith('CatalogGetProduct'),
  );
  const productInvocations: { durationMs: number; handlerMs: number }[] = [];
  const unobserve = productFunction?.observe((outcome) => {
    if (outcome.ok && outcome.handlerMs !== undefined)
      productInvocations.push({ durationMs: outcome.durationMs, handlerMs: outcome.handlerMs });
  });
  progress(
    `Warm latency: ${WARMUP_REQUESTS} warm-up + ${options.requests} sequential calls per probe, interleaved...`,
  );
  let latency: Map<string, LatencySamples>;
  try {
    latency = await measureLatency(probes, options.requests, WARMUP_REQUESTS);
  } catch (error) {
    if (!interrupted) progress(`Last lines of the local backend:\n${backendLog.join('\n')}`);
    throw error;
  } finally {
    unobserve?.();
  }
  const floor = summarize(latency.get(floorLabel)?.ms ?? []);
  const latencyRows = probes.map((p) => {
    const samples = latency.get(p.label) as LatencySamples;
    const s = summarize(samples.ms);
    return [...summaryRow(p.label, s, samples.failures), ratio(s.p50, floor.p50), ratio(s.p99, floor.p99)];
  });
  const latencyHeaders = [
    'probe',
    'n',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'failures',
    'p50 x floor',
    'p99 x floor',
  ];
  print('Warm latency (client side, sequential, after warm-up)');
  print(
    renderTable(
      latencyHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      latencyRows,
    ),
  );
  print(
    '  The floor does what GET /products/{id} does at its core, from a Node process with no API in between.',
  );
  print();
  sections.warm = markdownTable(latencyHeaders, latencyRows, [1, 2, 3, 4, 5, 6, 7, 8]);
  const product = summarize(latency.get('GET /products/{id}')?.ms ?? []);
  goals.push(
    {
      goal: 'GET /products/{id} p50 vs a bare GetItem round trip',
      target: '<= 1.30x',
      measured: `${ms(product.p50)} ms vs ${ms(floor.p50)} ms = ${ratio(product.p50, floor.p50)}`,
      met: product.p50 <= floor.p50 * 1.3,
    },
    {
      goal: 'GET /products/{id} p99 vs the floor p99',
      target: '<= 2.00x',
      measured: `${ms(product.p99)} ms vs ${ms(floor.p99)} ms = ${ratio(product.p99, floor.p99)}`,
      met: product.p99 <= floor.p99 * 2,
    },
  );
  warmBreakdown(
    latency.get(floorLabel)?.ms ?? [],
    latency.get('GET /products/{id}') as LatencySamples,
    productInvocations,
  );
  report.warm = probes.map((p) => ({
    label: p.label,
    summary: summarize(latency.get(p.label)?.ms ?? []),
    failures: latency.get(p.label)?.failures ?? 0,
  }));

  // Throughput with autocannon (its own process), and the floor's own throughput.
  const base = backend.url.replace('localhost', '127.0.0.1');
  const loads: LoadResult[] = [];
  const floorLoads: {
    connections: number;
    requestsPerSecond: number;
    cpuMsNode: number;
    cpuMsDynamoDb?: number;
  }[] = [];
  for (const connections of CONCURRENCY) {
    progress(
      `Floor throughput: GetItem from this process, ${connections} in flight, ${options.duration} s...`,
    );
    const cpuBefore = process.cpuUsage();
    const javaBefore = processCpuMs(backend.dynamodbPid ?? dynamodb?.pid);
    let done = 0;
    const end = performance.now() + options.duration * 1000;
    await Promise.all(
      Array.from({ length: connections }, async (_, k) => {
        for (let i = k; performance.now() < end; i++) {
          await documents.send(
            new GetCommand({
              TableName: table,
              Key: { pk: `PRODUCT#${ids[i % ids.length]}`, sk: 'PRODUCT' },
            }),
          );
          done++;
        }
      }),
    );
    const cpu = process.cpuUsage(cpuBefore);
    const javaAfter = processCpuMs(backend.dynamodbPid ?? dynamodb?.pid);
    floorLoads.push({
      connections,
      requestsPerSecond: done / options.duration,
      cpuMsNode: (cpu.user + cpu.system) / 1000 / Math.max(1, done),
      ...(javaBefore !== undefined && javaAfter !== undefined
        ? { cpuMsDynamoDb: (javaAfter - javaBefore) / Math.max(1, done) }
        : {}),
    });
    for (const target of [
      { label: 'GET /products/{id}', url: `${base}/products/${ids[0]}` },
      { label: 'GET /me (JWT)', url: `${base}/me`, headers: auth },
    ]) {
      progress(
        `Throughput: ${target.label}, ${connections} connections, ${options.duration} s (after a warm-up run)...`,
      );
      loads.push(await measureThroughput(target, connections, options.duration, dynamodb?.pid));
    }
  }
  documents.destroy();
  const loadHeaders = [
    'target',
    'connections',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'timeouts',
    'non-2xx',
    'CPU ms/req (Node)',
    'CPU ms/req (DynamoDB Local)',
  ];
  const loadRows = [
    ...floorLoads.map((f) => [
      'floor: GetItem from Node',
      String(f.connections),
      f.requestsPerSecond.toFixed(0),
      '',
      '',
      '0',
      '0',
      '0',
      f.cpuMsNode.toFixed(2),
      f.cpuMsDynamoDb?.toFixed(2) ?? '-',
    ]),
    ...loads.map((l) => [
      l.label,
      String(l.connections),
      l.requestsPerSecond.toFixed(0),
      String(l.latencyMs.p50),
      String(l.latencyMs.p99),
      String(l.errors),
      String(l.timeouts),
      String(l.non2xx),
      l.cpuMsPerRequest.node.toFixed(2),
      l.cpuMsPerRequest.dynamodb?.toFixed(2) ?? '-',
    ]),
  ];
  print(
    `Throughput (autocannon in its own process; emulator, functions and DynamoDB Local share ${cpus.length} cores)`,
  );
  print(
    renderTable(
      loadHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      loadRows,
    ),
  );
  print(
    '  CPU ms/req: CPU time this process (emulator + function threads) and DynamoDB Local spent per request;',
  );
  print(
    `  ${cpus.length} cores divided by their sum is what this machine could serve if nothing else ran on it.`,
  );
  print();
  sections.throughput = markdownTable(loadHeaders, loadRows, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  report.throughput = { floor: floorLoads, api: loads };
  // The floor does a part of what each API request does: it bounds what the API can reach here.
  const floorBest = Math.max(...floorLoads.map((f) => f.requestsPerSecond));
  for (const [label, target] of [
    ['GET /products/{id}', 1500],
    ['GET /me (JWT)', 800],
  ] as const) {
    const runs = loads.filter((l) => l.label === label);
    const best = runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const errors = runs.reduce((sum, l) => sum + l.errors + l.timeouts + l.non2xx, 0);
    goals.push({
      goal: `Throughput ${label}, 0 errors`,
      target: `>= ${target} req/s`,
      measured: `best ${best.requestsPerSecond.toFixed(0)} req/s at ${best.connections} connections (${runs.map((l) => `c=${l.connections}: ${l.requestsPerSecond.toFixed(0)}`).join(', ')}); ${errors} errors, timeouts or non-2xx; the GetItem floor alone, no API: best ${floorBest.toFixed(0)} req/s`,
      met: best.requestsPerSecond >= target && errors === 0,
    });
  }
  client.close();
  await stopBackend(backend);
}

// ---------------------------------------------------------------------------------------------
// Phase: scale
// ---------------------------------------------------------------------------------------------
async function scalePhase(): Promise<void> {
  const ddb = await sharedDynamoDb();
  const sizes = [SMALL_SCALE, options.scale];
  const prefixes = new Map(sizes.map((size) => [size, `bench-scale-${size}-${Date.now().toString(36)}-`]));
  for (const size of sizes) {
    const started = performance.now();
    let lastShown = -1;
    progress(
      `Seeding ${size} products (one category) and ${size} orders (one customer, one status) with BatchWriteItem...`,
    );
    await seedScaleTable(assembly, ddb.endpoint, prefixes.get(size) as string, size, (what, done, total) => {
      const step = Math.floor((done / total) * 10);
      if (step !== lastShown || done === total) {
        lastShown = step;
        progress(`  ${what}: ${done}/${total} (${percent(done / total)}, ${seconds(started)})`);
      }
    });
  }
  // Backends and sign-ins only now: access tokens live 15 minutes, seeding 100k items may not.
  const backends = new Map<number, { client: BenchClient; admin: string; customer: string; table: string }>();
  for (const size of sizes) {
    const backend = await startBackend(prefixes.get(size) as string, { onTablesCreated: undefined });
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
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const listings = [
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
  const probes: LatencyProbe[] = [];
  for (const listing of listings) {
    for (const size of sizes) {
      const b = backends.get(size) as { client: BenchClient; admin: string; customer: string };
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
  // The same Query with no API around it: the catalog store called from this process.
  const storeListings = [
    { label: 'store: listProducts({ limit: 20 })', query: { limit: 20 } },
    {
      label: `store: listProducts({ category: '${SCALE_CATEGORY}', limit: 20 })`,
      query: { category: SCALE_CATEGORY, limit: 20 },
    },
  ];
  for (const listing of storeListings) {
    for (const size of sizes) {
      const table = (backends.get(size) as { table: string }).table;
      probes.push({
        label: `${listing.label} @${size}`,
        run: async () => {
          useTable(documents, table);
          const page = await listProducts(listing.query);
          return { ok: page.items.length === 20, detail: `${page.items.length} items` };
        },
      });
    }
  }
  progress(`Scale: ${options.requests} sequential requests per listing and size, interleaved...`);
  const latency = await measureLatency(probes, options.requests, WARMUP_REQUESTS);
  const scaleRows: string[][] = [];
  const ratios: number[] = [];
  for (const listing of [...listings, ...storeListings]) {
    const small = summarize(latency.get(`${listing.label} @${SMALL_SCALE}`)?.ms ?? []);
    const large = summarize(latency.get(`${listing.label} @${options.scale}`)?.ms ?? []);
    if (!listing.label.startsWith('store:')) ratios.push(large.p50 / small.p50);
    scaleRows.push([
      listing.label,
      ms(small.p50),
      ms(large.p50),
      ratio(large.p50, small.p50),
      ms(small.p99),
      ms(large.p99),
    ]);
  }
  const scaleHeaders = [
    'listing (first page of 20)',
    `p50 @${SMALL_SCALE}`,
    `p50 @${options.scale}`,
    'ratio',
    `p99 @${SMALL_SCALE}`,
    `p99 @${options.scale}`,
  ];
  print(
    `Listings at ${options.scale} items in one partition against ${SMALL_SCALE} (ms, sequential, interleaved)`,
  );
  print(
    renderTable(
      scaleHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      scaleRows,
    ),
  );
  print();
  sections.scale = markdownTable(scaleHeaders, scaleRows, [1, 2, 3, 4, 5]);
  report.scale = [...listings, ...storeListings].map((listing) => {
    const small = summarize(latency.get(`${listing.label} @${SMALL_SCALE}`)?.ms ?? []);
    const large = summarize(latency.get(`${listing.label} @${options.scale}`)?.ms ?? []);
    return { listing: listing.label, small, large, ratio: large.p50 / small.p50 };
  });
  goals.push({
    goal: `List endpoints at ${options.scale} items vs ${SMALL_SCALE} (p50)`,
    target: '<= 1.10x',
    measured: listings
      .map(
        (l, i) =>
          `${l.label.split('?')[0]}${l.label.includes('category') ? '?category' : l.label.includes('status') ? '?status' : ''} ${(ratios[i] ?? 0).toFixed(2)}x`,
      )
      .join('; '),
    met: ratios.every((r) => r <= 1.1),
  });
  for (const b of backends.values()) b.client.close();
  documents.destroy();
}

// ---------------------------------------------------------------------------------------------
// Run, summarize, write
// ---------------------------------------------------------------------------------------------
async function run(): Promise<void> {
  const phases: [Phase, () => Promise<void>][] = [
    ['cold', coldPhase],
    ['journey', journeyPhase],
    ['warm', warmPhase],
    ['scale', scalePhase],
  ];
  for (const [phase, body] of phases) {
    if (!options.phases.has(phase)) continue;
    const started = performance.now();
    progress(`Phase ${phase}...`);
    await body();
    progress(`Phase ${phase} done in ${seconds(started)}`);
  }
  report.goals = goals;
  report.machine = { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) };
  const goalHeaders = ['goal', 'target', 'measured', 'met'];
  const goalRows = goals.map((g) => [
    g.goal,
    g.target,
    g.measured,
    g.met === undefined ? '(report)' : g.met ? 'yes' : 'NO',
  ]);
  print('Goals (issue 13)');
  print(
    renderTable(
      goalHeaders.map((header) => ({ header })),
      goalRows,
    ),
  );
  sections.goals = markdownTable(goalHeaders, goalRows);
  sections.machine = `Measured ${machine.date} on Node ${machine.node}, ${machine.platform}, ${machine.cpus}; load average ${machine.loadAverageAtStart.join(' ')} at the start and ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(
      ' ',
    )} at the end (other work shares this machine). Command: \`npm run bench -- --write-docs\` (${options.runs} cold imports per bundle, ${options.requests} requests per latency probe, ${options.duration} s per throughput run, ${options.journeys} warm journeys, ${options.scale} items at scale).`;

  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    progress(`Raw figures written to ${options.json}`);
  }
  if (options.writeDocs) {
    const { chartSvg, ...figures } = report;
    writeFileSync(DOC_JSON, `${JSON.stringify(figures, null, 2)}\n`);
    if (typeof chartSvg === 'string') writeFileSync(DOC_CHART, chartSvg);
    writeFileSync(DOC, replaceSections(readFileSync(DOC, 'utf8'), sections));
    // Formatted as the repository formats everything (npm run lint checks these files too).
    execFileSync(process.execPath, [BIOME, 'format', '--write', DOC, DOC_JSON, DOC_CHART], {
      stdio: 'ignore',
    });
    progress(
      `Wrote ${path.relative(PROJECT_ROOT, DOC)}, ${path.relative(PROJECT_ROOT, DOC_JSON)} and ${path.relative(PROJECT_ROOT, DOC_CHART)}`,
    );
  }
}

const benchStarted = performance.now();
let exitCode = 0;
try {
  await run();
} catch (error) {
  if (!interrupted) {
    console.error(
      `\nBenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    if (backendLog.length)
      console.error(`Last lines of the local backends:\n${backendLog.slice(-20).join('\n')}`);
  }
  exitCode = interrupted ? 130 : 1;
} finally {
  if (!interrupted) progress('Stopping what this run started...');
  await cleanup();
}
if (exitCode === 0) progress(`Done in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
// esbuild's service and stray handles must not keep the process alive after the report.
process.exit(exitCode);
