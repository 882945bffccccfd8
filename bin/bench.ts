// `npm run bench -- [--runs N] [--requests N] [--compare-source-maps] [--json <file>]`:
// how heavy each function is.
//   Bundles      size of every function's index.mjs (and source map) from a fresh `local` synth.
//   Cold start   import time of each bundle in fresh Node processes (median/p90 of --runs, default
//                15), as deployed (NODE_OPTIONS=--enable-source-maps); with --compare-source-maps
//                also without source maps (doubles this phase's time).
//   Warm latency p50/p95/p99 of sequential requests (--requests, default 300) through the local API.
// Everything is also shown as a ratio to floors measured in the same run (an empty handler, a
// bare GetItem handler, GET /health), since absolute numbers on a shared machine are noisy.
// Not part of `npm test`. Progress goes to stderr, the report to stdout.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeBundle, type BundleComposition, buildFloor, FUNCTION_BANNER } from '../lib/bench/bundling.ts';
import { type ColdStartSamples, measureColdStarts } from '../lib/bench/cold-start.ts';
import { type LatencyRoute, type LatencySamples, measureLatency } from '../lib/bench/latency.ts';
import { type Summary, summarize } from '../lib/bench/stats.ts';
import { kb, ms, ratio, renderTable } from '../lib/bench/table.ts';
import { type BenchTarget, floorTarget, functionTargets } from '../lib/bench/targets.ts';
import { bundleDefines } from '../lib/constructs/endpoint-function.ts';
import { type LocalBackend, startLocalBackend } from '../lib/local/backend.ts';
import { demoProducts } from '../lib/local/seed.ts';
import { synthesize } from '../lib/local/synth.ts';
import { readCloudAssembly, TemplateResolver } from '../lib/local/template.ts';

const USAGE = 'Usage: npm run bench -- [--runs N] [--requests N] [--compare-source-maps] [--json <file>]';
/** Requests per route before timing starts: the function's cold start and the JIT's first passes. */
const WARMUP_REQUESTS = 20;
const EMPTY_FLOOR = 'floor:empty';
const GETITEM_FLOOR = 'floor:getitem';
const METRICS_FLOOR = 'floor:metrics';
const TRACER_FLOOR = 'floor:tracer';

function positiveInteger(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`--${flag} must be a positive integer, got "${value}".\n${USAGE}`);
    process.exit(2);
  }
  return parsed;
}

let options: { runs: number; requests: number; compareSourceMaps: boolean; json: string | undefined };
try {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '15' },
      requests: { type: 'string', default: '300' },
      json: { type: 'string' },
      'compare-source-maps': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  options = {
    runs: positiveInteger('runs', values.runs),
    requests: positiveInteger('requests', values.requests),
    compareSourceMaps: values['compare-source-maps'],
    // npm runs scripts from the package root; a relative path means the caller's directory.
    json: values.json ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json) : undefined,
  };
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(2);
}

const progress = (text: string) => process.stderr.write(`• ${text}\n`);
const print = (text = '') => process.stdout.write(`${text}\n`);

// Everything this run starts, stopped once, whether it ends normally, fails or is interrupted.
const workDir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
let backend: LocalBackend | undefined;
let cleaned: Promise<void> | undefined;
// Set on Ctrl+C / SIGTERM: the requests in flight then fail, which is no failure to report.
let interrupted = false;
const cleanup = (): Promise<void> =>
  (cleaned ??= (async () => {
    await backend?.stop();
    rmSync(workDir, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal}: stopping what this run started...`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------
const cpus = os.cpus();
print(`Shop backend benchmark, ${new Date().toISOString()}`);
print(`  Node ${process.version} on ${os.platform()}/${os.arch()} (Lambda runs Node 24 on arm64)`);
print(
  `  ${cpus.length} CPUs: ${cpus[0]?.model.trim() ?? 'unknown'}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
print(
  `  ${options.runs} fresh-process imports per bundle${options.compareSourceMaps ? ' and source-map mode' : ''}; ${options.requests} requests per route`,
);
print('  Read the ratios: they compare against floors measured in this same run, because absolute');
print('  numbers on a shared machine are noisy; the milliseconds are for orientation only.');
print();

const floorSummary = (samples: Map<string, ColdStartSamples>, name: string): Summary =>
  summarize(samples.get(name)?.importMs.deployed ?? []);

/** The parts of a bundle that are bigger than in the floor (what the function adds), largest first. */
function beyond(bundle: BundleComposition, floor: BundleComposition | undefined, top = 5): string {
  const parts = [...bundle.byPart]
    .map(([part, bytes]) => [part, bytes - (floor?.byPart.get(part) ?? 0)] as const)
    .filter(([, bytes]) => bytes >= 512)
    .sort((a, b) => b[1] - a[1]);
  const shown = parts.slice(0, top).map(([part, bytes]) => `${part} ${kb(bytes)}`);
  if (parts.length > top) shown.push(`+${parts.length - top} more`);
  return shown.join(', ') || '(nothing)';
}

async function run(): Promise<void> {
  // -------------------------------------------------------------------------------------------
  // 1. Synthesize, bundle the floors with the same esbuild options
  // -------------------------------------------------------------------------------------------
  const synthStarted = performance.now();
  progress(`Synthesizing the local environment into ${workDir} (the bundles a deploy would ship)...`);
  const { outdir } = synthesize('local', path.join(workDir, 'cdk.out'));
  progress(`Synthesized in ${((performance.now() - synthStarted) / 1000).toFixed(1)} s`);
  const assembly = readCloudAssembly(outdir);
  const functions = functionTargets(
    assembly,
    new TemplateResolver(assembly, { tableNamePrefix: 'shop-local-' }),
  );

  // The floors are only comparable if built like the functions; the banner is the cheapest tell.
  for (const fn of functions) {
    if (!readFileSync(fn.bundle, 'utf8').startsWith(FUNCTION_BANNER)) {
      progress(
        `WARNING: ${fn.name}'s bundle does not start with the banner lib/bench/bundling.ts expects; ` +
          'the bundling options in lib/constructs/endpoint-function.ts may have changed.',
      );
    }
  }

  progress('Bundling the floors and analyzing the bundles (esbuild, the functions’ options)...');
  const tableReader = functions.find((fn) => fn.environment.TABLE_NAME);
  const floorSpecs = [
    { name: EMPTY_FLOOR, label: 'empty handler', entry: 'lib/bench/floors/empty-handler.ts' },
    { name: GETITEM_FLOOR, label: 'one GetItem (SDK v3)', entry: 'lib/bench/floors/get-item-handler.ts' },
    // What observability costs at cold start: compare with the empty and GetItem floors.
    {
      name: METRICS_FLOOR,
      label: 'empty + Powertools Metrics',
      entry: 'lib/bench/floors/metrics-handler.ts',
    },
    { name: TRACER_FLOOR, label: 'GetItem + Powertools Tracer', entry: 'lib/bench/floors/tracer-handler.ts' },
  ];
  const compositions = new Map<string, BundleComposition>();
  const floors: BenchTarget[] = [];
  for (const spec of floorSpecs) {
    const codeDir = path.join(workDir, spec.name.replace(':', '-'));
    compositions.set(spec.name, await buildFloor(spec.entry, codeDir));
    floors.push(floorTarget(spec.name, spec.label, spec.entry, codeDir, tableReader));
  }
  await Promise.all(
    functions.map(async (fn) =>
      compositions.set(
        fn.name,
        await analyzeBundle(fn.entry, bundleDefines(fn.environment.SHOP_TRACED_CALLS === 'true')),
      ),
    ),
  );
  const targets = [...floors, ...functions];

  const getItemFloor = floors.find((f) => f.name === GETITEM_FLOOR) as BenchTarget;
  print('Bundles (index.mjs as synthesized; floors built with the same esbuild options)');
  print(
    renderTable(
      [
        { header: 'bundle' },
        { header: 'route / what' },
        { header: 'index.mjs KB', align: 'right' },
        { header: '.map KB', align: 'right' },
        { header: 'x GetItem floor', align: 'right' },
      ],
      targets.map((t) => [
        t.name,
        t.label,
        kb(t.bundleBytes),
        kb(t.mapBytes),
        ratio(t.bundleBytes, getItemFloor.bundleBytes),
      ]),
    ),
  );
  print();
  print('What each bundle carries (KB of minified output by package or source folder, esbuild metafile)');
  const getItemParts = compositions.get(GETITEM_FLOOR);
  const nameWidth = Math.max(...targets.map((t) => t.name.length));
  for (const t of targets) {
    const parts = compositions.get(t.name);
    if (!parts || t.name === EMPTY_FLOOR) continue;
    // A bundle with any AWS SDK client is compared with the GetItem floor: the SDK core is a
    // given there, so what is listed is what the function adds on top of it.
    const usesSdk =
      t.name !== GETITEM_FLOOR &&
      [...parts.byPart.keys()].some((part) => part.startsWith('@aws-sdk/client-'));
    const how = usesSdk ? 'beyond GetItem floor' : 'largest parts';
    print(
      `  ${t.name.padEnd(nameWidth)}  ${how.padEnd(20)}  ${beyond(parts, usesSdk ? getItemParts : undefined)}`,
    );
  }
  print();

  // -------------------------------------------------------------------------------------------
  // 2. Cold-start imports
  // -------------------------------------------------------------------------------------------
  const coldStarted = performance.now();
  const modes = options.compareSourceMaps ? '2 modes (with/without source maps)' : 'as deployed';
  progress(
    `Cold starts: ${targets.length} bundles x ${options.runs} fresh processes, ${modes}, interleaved (+1 warm-up round)...`,
  );
  const cold = await measureColdStarts(targets, options.runs, options.compareSourceMaps, (round, total) => {
    if (process.stderr.isTTY)
      process.stderr.write(`\r  round ${round}/${total}${round === total ? '\n' : ''}`);
  });
  progress(`Cold starts measured in ${((performance.now() - coldStarted) / 1000).toFixed(1)} s`);
  const emptyFloor = floorSummary(cold, EMPTY_FLOOR);
  const getItemFloorImport = floorSummary(cold, GETITEM_FLOOR);
  print(
    `Cold start: await import(index.mjs) in a fresh node process, as deployed (NODE_OPTIONS=--enable-source-maps), n=${options.runs}`,
  );
  const coldRows = targets.map((t) => {
    const samples = cold.get(t.name) as ColdStartSamples;
    const deployed = summarize(samples.importMs.deployed);
    const row = [
      t.name,
      ms(deployed.p50),
      ms(deployed.p90),
      ratio(deployed.p50, emptyFloor.p50),
      ratio(deployed.p50, getItemFloorImport.p50),
      summarize(samples.rssMb).p50.toFixed(0),
    ];
    if (options.compareSourceMaps) {
      const off = summarize(samples.importMs.off);
      row.push(ms(off.p50), ms(deployed.p50 - off.p50));
    }
    return row;
  });
  print(
    renderTable(
      [
        { header: 'bundle' },
        { header: 'median ms', align: 'right' },
        { header: 'p90 ms', align: 'right' },
        { header: 'x empty floor', align: 'right' },
        { header: 'x GetItem floor', align: 'right' },
        { header: 'RSS MB', align: 'right' },
        ...(options.compareSourceMaps
          ? [
              { header: 'no-srcmap median', align: 'right' as const },
              { header: 'srcmap cost ms', align: 'right' as const },
            ]
          : []),
      ],
      coldRows,
    ),
  );
  print('  Ratios use medians. RSS: the process right after the import (Node itself included).');
  const floorCost = (name: string, base: Summary) => ms(floorSummary(cold, name).p50 - base.p50);
  print(
    `  Observability at cold start (medians): Powertools Metrics adds ${floorCost(METRICS_FLOOR, emptyFloor)} ms ` +
      `(floor:metrics - floor:empty); the Tracer adds ${floorCost(TRACER_FLOOR, getItemFloorImport)} ms ` +
      '(floor:tracer - floor:getitem), paid only where observability.tracedCalls bundles it.',
  );
  if (options.compareSourceMaps) {
    print(
      '  no-srcmap: the same import without --enable-source-maps; srcmap cost: the difference of medians.',
    );
  }
  print();

  // -------------------------------------------------------------------------------------------
  // 3. Warm latency through the local API
  // -------------------------------------------------------------------------------------------
  progress('Starting the local backend (DynamoDB Local, seeded demo catalog, API on a free port)...');
  const backendLog: string[] = [];
  backend = await startLocalBackend({
    assemblyDir: outdir,
    port: 0,
    seed: true,
    // Function logs (DEBUG in the local env) would drown the report; kept for a failure message.
    log: (line) => {
      backendLog.push(line);
      if (backendLog.length > 40) backendLog.shift();
    },
  });
  if (!backend.seeded) throw new Error('The local backend did not seed the demo catalog.');
  const ids = demoProducts().map((product) => product.id);
  const routes: LatencyRoute[] = [
    { label: 'GET /health', path: () => '/health' },
    { label: 'GET /products/{id}', path: (i) => `/products/${ids[i % ids.length]}` },
    { label: 'GET /products?limit=20', path: () => '/products?limit=20' },
  ];
  progress(
    `Warm latency: ${WARMUP_REQUESTS} warm-up + ${options.requests} sequential requests per route at ${backend.url}...`,
  );
  let latency: Map<string, LatencySamples>;
  try {
    latency = await measureLatency(backend.url, routes, options.requests, WARMUP_REQUESTS);
  } catch (error) {
    if (!interrupted) progress(`Last lines of the local backend:\n${backendLog.join('\n')}`);
    throw error;
  }
  const healthP50 = summarize(latency.get('GET /health')?.ms ?? []).p50;
  print('Warm latency through the local API (client-side, sequential, after warm-up)');
  const latencyRows = routes.map((route) => {
    const samples = latency.get(route.label) as LatencySamples;
    const s = summarize(samples.ms);
    return [
      route.label,
      String(s.n),
      ms(s.p50),
      ms(s.p95),
      ms(s.p99),
      ms(s.max),
      ratio(s.p50, healthP50),
      samples.failures ? `${samples.failures} (${samples.firstFailure})` : '0',
    ];
  });
  print(
    renderTable(
      [
        { header: 'route' },
        { header: 'n', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p95 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'max ms', align: 'right' },
        { header: 'p50 x /health', align: 'right' },
        { header: 'non-200' },
      ],
      latencyRows,
    ),
  );
  print('  GET /health runs the same emulator, middy stack and worker hop with no DynamoDB call: it is');
  print('  the floor of the emulator itself; what a route adds over it is mostly its DynamoDB Local call.');

  if (options.json) {
    const raw = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()}/${os.arch()}`,
      cpus: { count: cpus.length, model: cpus[0]?.model.trim() },
      loadavg: os.loadavg(),
      runs: options.runs,
      requests: options.requests,
      warmupRequests: WARMUP_REQUESTS,
      bundles: targets.map((t) => ({
        name: t.name,
        kind: t.kind,
        label: t.label,
        entry: t.entry,
        bundleBytes: t.bundleBytes,
        mapBytes: t.mapBytes,
        parts: Object.fromEntries(compositions.get(t.name)?.byPart ?? []),
      })),
      coldStart: targets.map((t) => {
        const samples = cold.get(t.name) as ColdStartSamples;
        return {
          name: t.name,
          deployed: { summary: summarize(samples.importMs.deployed), samplesMs: samples.importMs.deployed },
          noSourceMaps: options.compareSourceMaps
            ? { summary: summarize(samples.importMs.off), samplesMs: samples.importMs.off }
            : undefined,
          rssMb: samples.rssMb,
        };
      }),
      latency: routes.map((route) => {
        const samples = latency.get(route.label) as LatencySamples;
        return {
          route: route.label,
          summary: summarize(samples.ms),
          failures: samples.failures,
          samplesMs: samples.ms,
        };
      }),
    };
    writeFileSync(options.json, `${JSON.stringify(raw, null, 2)}\n`);
    progress(`Raw figures written to ${options.json}`);
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
  }
  exitCode = interrupted ? 130 : 1;
} finally {
  if (!interrupted) progress(backend ? 'Stopping the local backend...' : 'Cleaning up...');
  await cleanup();
}
if (exitCode === 0) progress(`Done in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
// esbuild's service and stray handles must not keep the process alive after the report.
process.exit(exitCode);
