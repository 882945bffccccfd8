import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type BuildOptions, build } from 'esbuild';
import { type BundleManifest, entryName, readBundleManifest } from '../../constructs/bundle-manifest.ts';
import { PROJECT_ROOT } from '../../constructs/function-bundler.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/account.ts';
import { readCloudAssembly, TemplateResolver } from '../../local/cloudformation/template.ts';
import { startDynamoDbLocal } from '../../local/dynamodb/launcher.ts';
import { ensureTemplateTables } from '../../local/dynamodb/table.ts';
import { freePort } from '../../local/net.ts';
import { type ReloadEvent, startWatch } from '../../local/watch/index.ts';
import { markdownTable } from '../docs.ts';
import type { BenchContext, BenchPhase, Goal, PhaseResult } from '../phase.ts';
import { type Summary, summarize } from '../stats.ts';
import { renderTable } from '../table.ts';

/** A handler edited in a scratch copy of functions/: the edit adds a `marker` field to its answer. */
interface EditTarget {
  readonly name: string;
  readonly handler: string;
  readonly route: string;
  readonly edit: (source: string, marker: string) => string;
}

/**
 * A typical handler (it bundles the DynamoDB client: the goal is judged on it) and the smallest
 * one (no SDK: esbuild takes the least time, so the fixed costs of a reload weigh the most).
 */
const TARGETS: readonly EditTarget[] = [
  {
    name: 'GET /products (DynamoDB client)',
    handler: 'functions/catalog/list-products.ts',
    route: '/products?limit=1',
    edit: (source, marker) =>
      source.replace(
        'return ok(await listProducts(query));',
        `return ok({ ...(await listProducts(query)), marker: '${marker}' });`,
      ),
  },
  {
    name: 'GET /.well-known/openid-configuration (no SDK)',
    handler: 'functions/accounts/get-openid-configuration.ts',
    route: '/.well-known/openid-configuration',
    edit: (source, marker) => source.replace('issuer,\n', `issuer,\n marker: '${marker}',\n`),
  },
];
const EDIT_ROUNDS = 5;
const START_ROUNDS = 2;
const GOALS = { edit: 2, restart: 1.5, firstStart: 1.5 };

const timed = async <T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
};

/** functions/ copied to a scratch project root (node_modules linked): edits never touch the repository. */
function scratchProject(workDir: string): string {
  const root = path.join(workDir, 'dev-loop-project');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const part of ['functions', 'package.json', 'tsconfig.json'])
    cpSync(path.join(PROJECT_ROOT, part), path.join(root, part), { recursive: true });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

/** One fresh esbuild build of one entry, with the options the synthesis used for it: the edit's floor. */
async function buildOne(manifest: BundleManifest, projectRoot: string, entry: string, outdir: string) {
  const group = manifest.builds.find((b) => b.bundles.some((bundle) => bundle.entry === entry));
  await build({
    ...(group?.options as BuildOptions),
    absWorkingDir: projectRoot,
    entryPoints: { [`${entryName(entry)}/index`]: path.join(projectRoot, entry) },
    outdir,
    write: false,
    logLevel: 'silent',
  });
}

/** Every entry of the app in one esbuild build (options of the first build set), written: the first start's floor. */
async function buildAll(manifest: BundleManifest, outdir: string) {
  rmSync(outdir, { recursive: true, force: true });
  const entries = manifest.builds.flatMap((b) => b.bundles.map((bundle) => bundle.entry));
  await build({
    ...(manifest.builds[0]?.options as BuildOptions),
    absWorkingDir: manifest.projectRoot,
    entryPoints: Object.fromEntries(
      [...new Set(entries)].map((entry) => [
        `${entryName(entry)}/index`,
        path.join(manifest.projectRoot, entry),
      ]),
    ),
    outdir,
    logLevel: 'silent',
  });
}

/** (a) Edit to new code served, against esbuild bundling that one function, round after round. */
async function editLoop(context: BenchContext, manifest: BundleManifest, target: EditTarget) {
  const { runtime, app } = context;
  const root = scratchProject(runtime.workDir);
  const backend = await runtime.startBackend('devloop-', { onTablesCreated: undefined });
  const events: ReloadEvent[] = [];
  const watch = startWatch({
    backend,
    assemblyDir: app.outdir,
    projectRoot: root,
    codeRoots: ['functions'],
    bundleDir: path.join(runtime.workDir, 'dev-loop-bundles'),
    log: (_line, event) => events.push(event),
  });
  const samples = { served: [] as number[], reload: [] as number[], esbuild: [] as number[] };
  try {
    const file = path.join(root, target.handler);
    const source = readFileSync(file, 'utf8');
    for (let round = 0; round <= EDIT_ROUNDS; round++) {
      const marker = `edit-${round}`;
      const served = await timed(async () => {
        writeFileSync(file, target.edit(source, marker));
        for (;;) {
          const answer = (await (await fetch(`${backend.url}${target.route}`)).json()) as { marker?: string };
          if (answer.marker === marker) return;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });
      await watch.settled();
      const floor = await timed(() =>
        buildOne(manifest, root, target.handler, path.join(runtime.workDir, 'one')),
      );
      const reload = events.findLast((event) => event.kind === 'code');
      context.progress(
        `  edit round ${round}/${EDIT_ROUNDS}: served in ${served.ms.toFixed(0)} ms, esbuild ${floor.ms.toFixed(0)} ms${round === 0 ? ' (warm-up)' : ''}`,
      );
      if (round === 0) continue;
      samples.served.push(served.ms);
      samples.esbuild.push(floor.ms);
      if (reload?.kind === 'code') samples.reload.push(reload.ms);
    }
  } finally {
    await watch.close();
    await runtime.stopBackend(backend);
  }
  return samples;
}

/** `npm start` as a user runs it, in a fresh process with its own state directory; ms to ready and its record. */
async function npmStart(stateDir: string): Promise<{ ms: number; record: Record<string, unknown> }> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['bin/local.ts', '--log-format', 'json'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      LOCAL_STATE_DIR: stateDir,
      PORT: String(await freePort()),
      WS_PORT: String(await freePort()),
      // Not the default 4569: another backend on this machine (a test run's) may hold it.
      S3_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const record = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let rest = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      const ready = lines.find((line) => line.includes('"Shop API (local) ready'));
      if (ready) resolve(JSON.parse(ready) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready`)));
  });
  const ms = performance.now() - started;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { ms, record };
}

/** DynamoDB Local's own start on `dbPath` (in memory without) and the template's table check. */
async function dynamoDbFloor(resolver: TemplateResolver, dbPath: string | undefined) {
  const java = await timed(() => startDynamoDbLocal({ dbPath }));
  try {
    const client = new DynamoDBClient({
      endpoint: java.value.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const tables = await timed(() => ensureTemplateTables(client, resolver));
    client.destroy();
    return { javaMs: java.ms, tablesMs: tables.ms };
  } finally {
    await java.value.stop();
  }
}

interface StartSamples {
  first: number[];
  restart: number[];
  restartFloor: number[];
  firstFloor: number[];
  /** The same floor counting only the seeding after the synthesis (what a first start waits for). */
  firstFloorAfterSynthesis: number[];
  firstPhases: Record<string, number>[];
  restartPhases: Record<string, number>[];
}

/** (b) and (c): a first start on a fresh state directory, then a restart on it, each against its floor. */
async function startLoop(context: BenchContext, manifest: BundleManifest): Promise<StartSamples> {
  const { runtime, app } = context;
  const resolver = new TemplateResolver(readCloudAssembly(app.outdir), { tableNamePrefix: 'shop-local-' });
  const samples: StartSamples = {
    first: [],
    restart: [],
    restartFloor: [],
    firstFloor: [],
    firstFloorAfterSynthesis: [],
    firstPhases: [],
    restartPhases: [],
  };
  for (let round = 1; round <= START_ROUNDS; round++) {
    const stateDir = path.join(runtime.workDir, `state-${round}`);
    const first = await npmStart(stateDir);
    const restart = await npmStart(stateDir);
    const restartFloor = await dynamoDbFloor(resolver, path.join(stateDir, 'data', 'dynamodb'));
    const esbuild = await timed(() => buildAll(manifest, path.join(runtime.workDir, 'all')));
    const fresh = await dynamoDbFloor(resolver, undefined);
    const firstPhases = (first.record.startupMs ?? {}) as Record<string, number>;
    samples.first.push(first.ms);
    samples.restart.push(restart.ms);
    samples.restartFloor.push(restartFloor.javaMs + restartFloor.tablesMs);
    // The seeding's own time: what needs only the table runs while the app synthesizes
    // (`seedingAhead`), the rest after it (`seeding`).
    const floor = esbuild.ms + fresh.javaMs + fresh.tablesMs + (firstPhases.seeding ?? 0);
    samples.firstFloor.push(floor + (firstPhases.seedingAhead ?? 0));
    samples.firstFloorAfterSynthesis.push(floor);
    samples.firstPhases.push({
      ...firstPhases,
      floorEsbuild: Math.round(esbuild.ms),
      floorJava: Math.round(fresh.javaMs),
    });
    samples.restartPhases.push({
      ...(restart.record.startupMs as Record<string, number>),
      floorJava: Math.round(restartFloor.javaMs),
      floorTables: Math.round(restartFloor.tablesMs),
    });
    context.progress(
      `  start round ${round}/${START_ROUNDS}: first ${(first.ms / 1000).toFixed(1)} s, restart ${(restart.ms / 1000).toFixed(1)} s`,
    );
    rmSync(stateDir, { recursive: true, force: true });
  }
  return samples;
}

const median = (rows: readonly Record<string, number>[], key: string) =>
  summarize(rows.map((row) => row[key] ?? 0)).p50;

function goal(name: string, target: number, measured: Summary, floor: Summary): Goal {
  const x = measured.p50 / floor.p50;
  return {
    goal: name,
    target: `<= ${target.toFixed(2)}x`,
    measured: `${x.toFixed(2)}x (${(measured.p50 / 1000).toFixed(2)} s against ${(floor.p50 / 1000).toFixed(2)} s)`,
    met: x <= target,
  };
}

async function runDevLoop(context: BenchContext): Promise<PhaseResult> {
  const manifest = readBundleManifest(context.app.outdir);
  if (!manifest)
    throw new Error(`${context.app.outdir} has no bundle manifest (synthesized before watch mode?).`);
  const edits: { target: EditTarget; served: Summary; reload: Summary; esbuild: Summary }[] = [];
  for (const target of TARGETS) {
    context.progress(
      `Dev loop: ${EDIT_ROUNDS} edits (+1 warm-up) of ${target.handler} in a scratch copy, watched...`,
    );
    const samples = await editLoop(context, manifest, target);
    edits.push({
      target,
      served: summarize(samples.served),
      reload: summarize(samples.reload),
      esbuild: summarize(samples.esbuild),
    });
  }
  context.progress(
    `Dev loop: ${START_ROUNDS} rounds of a first start on a fresh state directory and a restart...`,
  );
  const starts = await startLoop(context, manifest);
  const s: Record<string, Summary> = {
    ...Object.fromEntries(
      edits.flatMap(({ target, served, reload, esbuild }) => [
        [`${target.name}: edit to new code served`, served],
        [`${target.name}: rebuild and replace (watch)`, reload],
        [`${target.name}: floor, esbuild of that function`, esbuild],
      ]),
    ),
    'first start, fresh state': summarize(starts.first),
    'floor: esbuild of every entry + DynamoDB Local + seeding': summarize(starts.firstFloor),
    'the same, counting only the seeding after the synthesis': summarize(starts.firstFloorAfterSynthesis),
    'restart, unchanged tree': summarize(starts.restart),
    'floor: DynamoDB Local start + table check': summarize(starts.restartFloor),
  };
  const [typical, smallest] = edits;
  const goals: Goal[] = [
    ...(typical
      ? [
          goal(
            `edit a handler (${typical.target.name}) to new code served vs esbuild of that function`,
            GOALS.edit,
            typical.served,
            typical.esbuild,
          ),
        ]
      : []),
    ...(smallest
      ? [
          {
            ...goal(
              `the same for the smallest handler (${smallest.target.name})`,
              GOALS.edit,
              smallest.served,
              smallest.esbuild,
            ),
            met: undefined,
          },
        ]
      : []),
    goal(
      'restart, unchanged tree vs DynamoDB Local start + the table check',
      GOALS.restart,
      summarize(starts.restart),
      summarize(starts.restartFloor),
    ),
    goal(
      'first start, fresh state vs one esbuild build of every entry + DynamoDB Local + seeding',
      GOALS.firstStart,
      summarize(starts.first),
      summarize(starts.firstFloor),
    ),
    {
      ...goal(
        'the same against a floor counting only the seeding after the synthesis',
        GOALS.firstStart,
        summarize(starts.first),
        summarize(starts.firstFloorAfterSynthesis),
      ),
      met: undefined,
    },
  ];
  const phaseKeys = [
    ...new Set([...starts.firstPhases, ...starts.restartPhases].flatMap((row) => Object.keys(row))),
  ];
  const headers = ['what', 'median ms', 'min ms', 'max ms'];
  const rows = Object.entries(s).map(([name, summary]) => [
    name,
    summary.p50.toFixed(0),
    summary.min.toFixed(0),
    summary.max.toFixed(0),
  ]);
  const phaseRows = phaseKeys.map((key) => [
    key,
    median(starts.firstPhases, key).toFixed(0),
    median(starts.restartPhases, key).toFixed(0),
  ]);
  context.print(`Dev loop (edits n=${EDIT_ROUNDS} each, starts n=${starts.first.length}, medians)`);
  context.print(
    renderTable(
      headers.map((header, i) => ({ header, align: i > 0 ? 'right' : 'left' })),
      rows,
    ),
  );
  context.print(
    renderTable(
      ['step of the start (ms)', 'first start', 'restart'].map((header, i) => ({
        header,
        align: i > 0 ? 'right' : 'left',
      })),
      phaseRows,
    ),
  );
  context.print();
  return {
    report: { devLoop: { ...s, firstPhases: starts.firstPhases, restartPhases: starts.restartPhases } },
    sections: {
      'dev-loop': `${markdownTable(headers, rows, [1, 2, 3])}\n\n${markdownTable(['step of the start (ms)', 'first start', 'restart'], phaseRows, [1, 2])}`,
    },
    goals,
  };
}

export const devLoopPhase: BenchPhase = {
  name: 'dev-loop',
  describe:
    'npm start: edit-to-served in watch mode, restart and first start, against esbuild and DynamoDB Local floors',
  run: runDevLoop,
};
