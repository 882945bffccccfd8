import path from 'node:path';
import { bundleDefines } from '../../constructs/function-bundler.ts';
import {
  analyzeBundle,
  type BundleComposition,
  buildTo,
  functionBuildOptions,
  plainBuildOptions,
  replaceModule,
} from '../bundling.ts';
import type { BenchContext } from '../phase.ts';
import { type BenchTarget, floorTarget } from '../targets.ts';

export const FLOOR_EMPTY = 'floor:empty';
export const FLOOR_PLAIN = 'floor:getitem';
export const FLOOR_OURS = 'floor:getitem-ours';
export const FLOOR_METRICS = 'floor:metrics';
export const FLOOR_TRACER = 'floor:tracer';
export const FLOOR_XRAY_SDK = 'floor:xray-sdk';
/** The function the levers are measured on: it has every part (SDK, secrets, cursor, schemas). */
export const LEVER_SUBJECT = 'functions/catalog/list-products.ts';

/** A variant of the lever subject (or of zod alone), with the decision it backs. */
export interface Lever {
  readonly name: string;
  readonly what: string;
  readonly decision: string;
  readonly target: BenchTarget;
}

interface FloorSpec {
  readonly name: string;
  readonly label: string;
  readonly entry: string;
  /** Built and run like our functions (else as a user would deploy it). */
  readonly ours: boolean;
  /** Variables on top of the function environment it runs in. */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What Lambda's active tracing adds to a function's environment: the X-Ray daemon's address. */
const TRACING_ON = { AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000', AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR' };

const FLOOR_SPECS: readonly FloorSpec[] = [
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
    label: 'GetItem + our X-Ray recorder (tracing on), built like ours',
    entry: 'lib/bench/floors/tracer-handler.ts',
    ours: true,
    environment: TRACING_ON,
  },
  {
    name: FLOOR_XRAY_SDK,
    label: 'GetItem + Powertools Tracer (X-Ray SDK), built like ours',
    entry: 'lib/bench/floors/xray-sdk-handler.ts',
    ours: true,
    environment: TRACING_ON,
  },
];

interface LeverSpec {
  readonly name: string;
  readonly what: string;
  readonly decision: string;
  readonly entry: string;
  build(outfile: string): Parameters<typeof buildTo>[0];
  readonly nodeOptions?: string;
}

const LEVER_SPECS: readonly LeverSpec[] = [
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

/** The bundles the cold phase measures besides the functions, and what every bundle is made of. */
export interface ColdTargets {
  readonly floors: readonly BenchTarget[];
  readonly levers: readonly Lever[];
  /** esbuild's composition of every bundle, by target name. */
  readonly compositions: ReadonlyMap<string, BundleComposition>;
}

/**
 * What each function's bundle is made of: one analysis per distinct entry and defines (the
 * environments that deploy share most of their bundles), by target name.
 */
async function analyzeFunctions(
  functions: readonly BenchTarget[],
  compositions: Map<string, BundleComposition>,
): Promise<void> {
  const analyses = new Map<string, Promise<BundleComposition>>();
  await Promise.all(
    functions.map(async (fn) => {
      const define = bundleDefines(fn.environment.SHOP_TRACED_CALLS === 'true');
      const key = `${fn.entry}\n${JSON.stringify(define)}`;
      const analysis = analyses.get(key) ?? analyzeBundle(fn.entry, define);
      analyses.set(key, analysis);
      compositions.set(fn.name, await analysis);
    }),
  );
}

/**
 * Builds the floors and the levers into the run's work directory and analyzes every bundle
 * (the floors', the levers' and those of `functions`, every environment's).
 */
export async function buildColdTargets(
  context: BenchContext,
  functions: readonly BenchTarget[],
): Promise<ColdTargets> {
  // Floors and levers run in the environment of a local function (the journey compares with those).
  const local = context.app.functions;
  const like = local.find((fn) => fn.environment.TABLE_NAME) ?? (local[0] as BenchTarget);
  context.progress('Bundling the floors and the levers, analyzing every bundle (esbuild metafiles)...');
  const compositions = new Map<string, BundleComposition>();
  const dirOf = (name: string) => path.join(context.runtime.workDir, name.replace(/[:/]/g, '-'));
  const floors: BenchTarget[] = [];
  for (const spec of FLOOR_SPECS) {
    const outfile = path.join(dirOf(spec.name), 'index.mjs');
    compositions.set(
      spec.name,
      await buildTo(
        spec.ours ? functionBuildOptions(spec.entry, outfile) : plainBuildOptions(spec.entry, outfile),
      ),
    );
    const floor = floorTarget(spec.name, spec.label, spec.entry, dirOf(spec.name), like, !spec.ours);
    floors.push({ ...floor, environment: { ...floor.environment, ...spec.environment } });
  }

  const subject = local.find((fn) => fn.entry === LEVER_SUBJECT);
  const levers: Lever[] = [];
  if (subject) {
    for (const spec of LEVER_SPECS) {
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
    context.progress(`No function is built from ${LEVER_SUBJECT}; the levers are not measured.`);
  }
  await analyzeFunctions(functions, compositions);
  return { floors, levers, compositions };
}
