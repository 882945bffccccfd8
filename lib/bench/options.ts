import path from 'node:path';
import {
  type CommandSpec,
  type OptionTable,
  parseCommandLine,
  UsageError,
  usageLine,
} from '../cli/command-line.ts';

/**
 * The numeric options, each a positive integer with a default. A phase that needs one more adds
 * a row here: the parser, `--help` and `BenchOptions` all read this table.
 */
const NUMERIC_OPTIONS = {
  runs: {
    type: 'integer',
    min: 1,
    default: 15,
    placeholder: 'N',
    describe: 'cold imports per bundle (cold)',
  },
  requests: {
    type: 'integer',
    min: 1,
    default: 300,
    placeholder: 'N',
    describe: 'sequential requests per latency probe (warm, scale)',
  },
  duration: {
    type: 'integer',
    min: 1,
    default: 10,
    placeholder: 'S',
    describe: 'seconds per throughput run (warm)',
  },
  journeys: {
    type: 'integer',
    min: 1,
    default: 15,
    placeholder: 'N',
    describe: 'warm journeys over every route (journey)',
  },
  scale: {
    type: 'integer',
    min: 1,
    default: 100_000,
    placeholder: 'N',
    describe: 'items of the large listings (scale)',
  },
  synths: {
    type: 'integer',
    min: 1,
    default: 3,
    placeholder: 'N',
    describe: 'timed rounds of each synthesis (synth)',
  },
} as const satisfies OptionTable;

type NumericOptionName = keyof typeof NUMERIC_OPTIONS;

/** The run's settings, as `npm run bench -- [options]` gives them. */
export type BenchOptions = { readonly [K in NumericOptionName]: number } & {
  /** The phases asked for, in the order given (they run in the registry's order). */
  readonly phases: ReadonlySet<string>;
  /** Where to write the raw figures, resolved against the caller's directory. */
  readonly json: string | undefined;
  /** Write docs/performance.md, docs/performance.json and the chart. */
  readonly writeDocs: boolean;
};

/** What `--help` and the usage line list of a phase. */
export interface PhaseSummary {
  readonly name: string;
  readonly describe: string;
}

/** The bench's command line, with the registry's phases in `--only` and in the help. */
export function benchCommand(phases: readonly PhaseSummary[]) {
  return {
    command: 'npm run bench',
    summary: 'How fast and how costly the backend is, as ratios against floors measured in the same run.',
    options: {
      only: {
        type: 'string',
        placeholder: phases.map((p) => p.name).join(','),
        describe: 'the phases to run (all by default)',
      },
      ...NUMERIC_OPTIONS,
      json: { type: 'string', placeholder: '<file>', describe: 'the raw figures as JSON' },
      'write-docs': {
        type: 'boolean',
        describe: 'docs/performance.md, docs/performance.json and the cold-start chart',
      },
    },
    sections: [
      {
        title: 'Phases (all by default, in this order; --only picks some)',
        rows: phases.map((p) => [p.name, p.describe] as const),
      },
    ],
    notes: ['Not part of `npm test`. Progress goes to stderr, the report to stdout.'],
  } as const satisfies CommandSpec<OptionTable>;
}

/** A command line the bench cannot run with; the message ends with the usage line. */
export class BenchUsageError extends UsageError {}

/**
 * The command line, checked against the phases of the registry: the options, or the help text
 * when `--help` was given. A bad option throws a `BenchUsageError` saying why.
 */
export function parseBenchOptions(
  phases: readonly PhaseSummary[],
  args: readonly string[],
): BenchOptions | { readonly help: string } {
  const command = benchCommand(phases);
  let parsed: ReturnType<typeof parseCommandLine<typeof command.options>>;
  try {
    parsed = parseCommandLine(command, args);
  } catch (error) {
    throw error instanceof UsageError ? new BenchUsageError(error.message) : error;
  }
  if ('help' in parsed) return parsed;
  const { values } = parsed;
  const known = phases.map((p) => p.name);
  const only = values.only !== undefined ? values.only.split(',').map((p) => p.trim()) : known;
  for (const phase of only)
    if (!known.includes(phase)) throw new BenchUsageError(`Unknown phase "${phase}".\n${usageLine(command)}`);
  return {
    runs: values.runs,
    requests: values.requests,
    duration: values.duration,
    journeys: values.journeys,
    scale: values.scale,
    synths: values.synths,
    phases: new Set(only),
    // npm runs scripts from the package root; a relative path means the caller's directory.
    json:
      values.json !== undefined
        ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json)
        : undefined,
    writeDocs: values['write-docs'],
  };
}
