import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ENTRY_METADATA } from '../../constructs/endpoint-function.ts';
import { bundleDefines, FUNCTION_BUILD_OPTIONS, PROJECT_ROOT } from '../../constructs/function-bundler.ts';
import { readCloudAssembly, resourcesOfType } from '../../local/cloudformation/template.ts';
import { markdownTable } from '../docs.ts';
import type { BenchContext, BenchPhase, PhaseResult } from '../phase.ts';
import { type Summary, summarize } from '../stats.ts';
import { ratio, renderTable, seconds } from '../table.ts';

const execFileAsync = promisify(execFile);

/** The environment whose synthesis is timed: what deploys. */
const ENVIRONMENT = 'prod';
const GOAL = 1.5;

/**
 * The context `cdk synth -c env=<name>` hands the app (bin/app.ts): cdk.json's, the environment,
 * the metadata SAM and the local runtime read, and which stacks need their assets bundled
 * (`**`, every one, as `cdk synth` asks; none, as `cdk list` asks).
 */
function cliContext(bundle: boolean): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return {
    ...cdkJson.context,
    env: ENVIRONMENT,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:bundling-stacks': bundle ? ['**'] : [],
  };
}

/** Runs the CDK app in a fresh process as the CLI runs it (`node bin/app.ts`); its wall time in ms. */
async function synthesizeApp(outdir: string, bundle: boolean): Promise<number> {
  rmSync(outdir, { recursive: true, force: true });
  const started = performance.now();
  await execFileAsync(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'app.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(cliContext(bundle)) },
    maxBuffer: 64 * 2 ** 20,
  });
  return performance.now() - started;
}

/** The handler entries of the synthesized app's functions. */
function entriesOf(outdir: string): string[] {
  const functions = resourcesOfType(readCloudAssembly(outdir), 'AWS::Lambda::Function');
  const entries = functions.map(({ resource }) => resource.Metadata?.[ENTRY_METADATA]);
  return [...new Set(entries.filter((entry): entry is string => typeof entry === 'string'))].sort();
}

/** One esbuild build of every entry with the functions' options, written to `outdir`; its time in ms. */
async function buildEveryEntry(entries: readonly string[], outdir: string): Promise<number> {
  rmSync(outdir, { recursive: true, force: true });
  const started = performance.now();
  await build({
    ...FUNCTION_BUILD_OPTIONS,
    entryPoints: Object.fromEntries(
      entries.map((entry) => [
        `${entry.replace(/\.ts$/, '').replace(/\W/g, '-')}/index`,
        path.join(PROJECT_ROOT, entry),
      ]),
    ),
    outdir,
    define: bundleDefines(false),
  });
  return performance.now() - started;
}

interface SynthSamples {
  readonly synth: number[];
  readonly unbundled: number[];
  readonly esbuild: number[];
}

/**
 * `cdk synth` of one environment against its floor: CDK's synth without bundling plus one
 * esbuild build of every function's entry point, each in the same rounds (a warm-up round
 * first, not counted), so a noisy moment lands on all three.
 */
async function runSynth(context: BenchContext): Promise<PhaseResult> {
  const rounds = context.options.synths;
  const dir = (name: string) => path.join(context.runtime.workDir, 'synth', name);
  const samples: SynthSamples = { synth: [], unbundled: [], esbuild: [] };
  let entries: string[] = [];
  context.progress(
    `Synthesizing ${ENVIRONMENT}: ${rounds} rounds (+1 warm-up) of the app, the app unbundled, esbuild alone...`,
  );
  for (let round = 0; round <= rounds; round++) {
    const started = performance.now();
    const synth = await synthesizeApp(dir('bundled'), true);
    if (round === 0) entries = entriesOf(dir('bundled'));
    const unbundled = await synthesizeApp(dir('unbundled'), false);
    const esbuild = await buildEveryEntry(entries, dir('esbuild'));
    context.progress(
      `  synth round ${round}/${rounds} in ${seconds(started)}${round === 0 ? ' (warm-up)' : ''}`,
    );
    if (round === 0) continue;
    samples.synth.push(synth);
    samples.unbundled.push(unbundled);
    samples.esbuild.push(esbuild);
  }
  return synthResult(context, samples, entries.length);
}

const s = (summary: Summary) => (summary.p50 / 1000).toFixed(1);

function synthResult(context: BenchContext, samples: SynthSamples, entries: number): PhaseResult {
  const synth = summarize(samples.synth);
  const unbundled = summarize(samples.unbundled);
  const esbuild = summarize(samples.esbuild);
  const floor = unbundled.p50 + esbuild.p50;
  const x = synth.p50 / floor;
  const headers = ['what', 'median s', 'min s', 'max s', 'x floor'];
  const cells = [
    [`cdk synth -c env=${ENVIRONMENT} (node bin/app.ts, one esbuild build per define set)`, synth],
    ['floor: CDK synth without bundling (bundling-stacks [])', unbundled],
    [`floor: one esbuild build of all ${entries} entry points`, esbuild],
  ].map(([label, summary]) => {
    const sample = summary as Summary;
    return [
      label as string,
      s(sample),
      (sample.min / 1000).toFixed(1),
      (sample.max / 1000).toFixed(1),
      ratio(sample.p50, floor),
    ];
  });
  cells.push(['floor (the two above)', (floor / 1000).toFixed(1), '', '', '1.00x']);
  context.print(`Synthesis of ${ENVIRONMENT} in fresh processes (n=${samples.synth.length}, medians)`);
  context.print(
    renderTable(
      headers.map((header, i) => ({ header, align: i > 0 ? 'right' : 'left' })),
      cells,
    ),
  );
  context.print();
  return {
    report: {
      synth: {
        environment: ENVIRONMENT,
        rounds: samples.synth.length,
        entries,
        synthMs: synth,
        unbundledMs: unbundled,
        esbuildMs: esbuild,
        floorMs: floor,
        xFloor: x,
      },
    },
    sections: { synth: markdownTable(headers, cells, [1, 2, 3, 4]) },
    goals: [
      {
        goal: `cdk synth of one environment (${ENVIRONMENT}) vs CDK's synth without bundling + one esbuild build of every entry`,
        target: `<= ${GOAL.toFixed(2)}x`,
        measured: `${x.toFixed(2)}x (${s(synth)} s against ${(floor / 1000).toFixed(1)} s)`,
        met: x <= GOAL,
      },
    ],
  };
}

export const synthPhase: BenchPhase = {
  name: 'synth',
  describe: `cdk synth of ${ENVIRONMENT} against CDK's synth without bundling + one esbuild build of every entry`,
  run: runSynth,
};
