// `npm run bench -- [options]`: how fast and how costly the backend is, as ratios against floors
// measured in the same run (absolute numbers on a shared machine are noisy). The phases live in
// lib/bench/phases/ (`npm run bench -- --help` lists them); this file parses the options,
// synthesizes the app once, runs the phases asked for in the registry's order and writes what
// they found: the report to stdout, progress to stderr, `--json` and `--write-docs` to files.
// Not part of `npm test`.
import { synthesizeBenchApp } from '../lib/bench/app.ts';
import { type BenchOptions, BenchUsageError, parseBenchOptions } from '../lib/bench/options.ts';
import type { BenchContext, Findings, Goal } from '../lib/bench/phase.ts';
import { PHASES } from '../lib/bench/phases/registry.ts';
import {
  closingSections,
  describeMachine,
  machineAtEnd,
  printHeader,
  writeDocs,
  writeJsonReport,
} from '../lib/bench/report.ts';
import { BenchRuntime } from '../lib/bench/runtime.ts';
import { seconds } from '../lib/bench/table.ts';

/** The options; `--help` prints the help and exits 0, a bad option says why and exits 2. */
function commandLine(): BenchOptions {
  try {
    const parsed = parseBenchOptions(PHASES, process.argv.slice(2));
    if (!('help' in parsed)) return parsed;
    console.log(parsed.help);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`npm run bench: ${error.message}\nRun with --help for every option.`);
    process.exit(2);
  }
}

const options = commandLine();
const progress = (text: string) => process.stderr.write(`• ${text}\n`);
const print = (text = '') => process.stdout.write(`${text}\n`);

const machine = describeMachine();
printHeader(print, machine, options);
const app = synthesizeBenchApp(progress);

// Everything this run starts, stopped once, whether it ends normally, fails or is interrupted.
const runtime = new BenchRuntime(app.outdir, progress);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    runtime.interrupted = true;
    progress(`${signal}: stopping what this run started...`);
    void runtime.cleanup().finally(() => process.exit(130));
  });
}

/** Runs the phases asked for, in the registry's order; prints the goals; writes the files. */
async function run(): Promise<void> {
  /** The report, written as JSON and into the docs. */
  const report: Record<string, unknown> = { machine };
  /** Generated sections of docs/performance.md. */
  const sections: Record<string, string> = {};
  const goals: Goal[] = [];
  const findings: Findings = {};
  const context: BenchContext = { options, machine, app, runtime, findings, print, progress };
  for (const phase of PHASES) {
    if (!options.phases.has(phase.name)) continue;
    const started = performance.now();
    progress(`Phase ${phase.name}...`);
    const result = await phase.run(context);
    Object.assign(report, result.report);
    Object.assign(sections, result.sections);
    goals.push(...result.goals);
    Object.assign(findings, result.findings);
    progress(`Phase ${phase.name} done in ${seconds(started)}`);
  }
  report.goals = goals;
  report.machine = machineAtEnd(machine);
  Object.assign(sections, closingSections(print, goals, machine, options));
  if (options.json) {
    writeJsonReport(options.json, report);
    progress(`Raw figures written to ${options.json}`);
  }
  if (options.writeDocs) progress(writeDocs(report, sections));
}

const benchStarted = performance.now();
let exitCode = 0;
try {
  await run();
} catch (error) {
  if (!runtime.interrupted) {
    console.error(
      `\nBenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    if (runtime.backendLog.length)
      console.error(`Last lines of the local backends:\n${runtime.backendLog.slice(-20).join('\n')}`);
  }
  exitCode = runtime.interrupted ? 130 : 1;
} finally {
  if (!runtime.interrupted) progress('Stopping what this run started...');
  await runtime.cleanup();
}
if (exitCode === 0) progress(`Done in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
// esbuild's service and stray handles must not keep the process alive after the report.
process.exit(exitCode);
