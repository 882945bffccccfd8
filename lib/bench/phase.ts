import type { BenchApp } from './app.ts';
import type { ColdStartSamples } from './cold-start.ts';
import type { BenchOptions } from './options.ts';
import type { Machine } from './report.ts';
import type { BenchRuntime } from './runtime.ts';
import type { Summary } from './stats.ts';

/** One goal (issue 13) with its measured figure; `met` undefined means reported, not judged. */
export interface Goal {
  readonly goal: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** What the cold phase found that later phases of the same run compare against. */
export interface ColdFindings {
  /** Cold-start samples by target name (functions by construct id, floors, levers). */
  readonly samples: ReadonlyMap<string, ColdStartSamples>;
  /** The GetItem floor's cold import, as a user would build it. */
  readonly plainFloorImport: Summary;
}

/** Findings of earlier phases of this run, by phase; absent when that phase did not run. */
export interface Findings {
  cold?: ColdFindings;
}

/** What a phase hands back; the entry merges the results in phase order. */
export interface PhaseResult {
  /** Keys of the JSON report (`--json`, docs/performance.json), in the order they appear. */
  readonly report: Readonly<Record<string, unknown>>;
  /** Generated sections of docs/performance.md, by marker name (`<!-- bench:<name> -->`). */
  readonly sections: Readonly<Record<string, string>>;
  /** Goals in the order of the closing table. */
  readonly goals: readonly Goal[];
  /** Figures later phases use. */
  readonly findings?: Partial<Findings>;
}

/** Everything a phase may use: the options, the synthesized app, the runtime and the output. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly machine: Machine;
  readonly app: BenchApp;
  /** Started processes and servers, stopped once at the end of the run. */
  readonly runtime: BenchRuntime;
  /** What earlier phases found (the cold imports, for the journey's cost model). */
  readonly findings: Readonly<Findings>;
  /** A line of the report (stdout). */
  print(text?: string): void;
  /** A line of progress (stderr). */
  progress(text: string): void;
}

/**
 * One phase of `npm run bench`: `--only <name>` selects it, `--help` lists it with `describe`.
 * A new phase is a file in lib/bench/phases/ and a line in its registry.
 */
export interface BenchPhase {
  readonly name: string;
  /** One line for `--help`. */
  readonly describe: string;
  run(context: BenchContext): Promise<PhaseResult>;
}

/** Several partial results as one, in the order given (report keys and goals keep it). */
export function mergeResults(...parts: readonly PhaseResult[]): PhaseResult {
  return {
    report: Object.assign({}, ...parts.map((p) => p.report)),
    sections: Object.assign({}, ...parts.map((p) => p.sections)),
    goals: parts.flatMap((p) => p.goals),
    findings: Object.assign({}, ...parts.map((p) => p.findings ?? {})),
  };
}
