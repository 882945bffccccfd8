import path from 'node:path';
import { parseArgs } from 'node:util';

/**
 * The numeric options, each a positive integer with a default. A phase that needs one more adds
 * a row here: the parser, `--help` and `BenchOptions` all read this table.
 */
const NUMERIC_OPTIONS = {
  runs: { default: 15, placeholder: 'N', describe: 'cold imports per bundle (cold)' },
  requests: {
    default: 300,
    placeholder: 'N',
    describe: 'sequential requests per latency probe (warm, scale)',
  },
  duration: { default: 10, placeholder: 'S', describe: 'seconds per throughput run (warm)' },
  journeys: { default: 15, placeholder: 'N', describe: 'warm journeys over every route (journey)' },
  scale: { default: 100_000, placeholder: 'N', describe: 'items of the large listings (scale)' },
  synths: { default: 3, placeholder: 'N', describe: 'timed rounds of each synthesis (synth)' },
} as const;

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

const numericNames = Object.keys(NUMERIC_OPTIONS) as NumericOptionName[];

function usage(phases: readonly PhaseSummary[]): string {
  const numeric = numericNames.map((name) => `[--${name} ${NUMERIC_OPTIONS[name].placeholder}]`);
  return `Usage: npm run bench -- [--only ${phases.map((p) => p.name).join(',')}] ${numeric.join(' ')} [--json <file>] [--write-docs]`;
}

function help(phases: readonly PhaseSummary[]): string {
  const options: [string, string][] = [
    ...numericNames.map((name): [string, string] => {
      const option = NUMERIC_OPTIONS[name];
      return [`--${name} ${option.placeholder}`, `${option.describe}, default ${option.default}`];
    }),
    ['--json <file>', 'the raw figures as JSON'],
    ['--write-docs', 'docs/performance.md, docs/performance.json and the cold-start chart'],
  ];
  const width = Math.max(...phases.map((p) => p.name.length), ...options.map(([flag]) => flag.length)) + 2;
  return [
    usage(phases),
    '',
    'Phases (all by default, in this order; --only picks some):',
    ...phases.map((p) => `  ${p.name.padEnd(width)}${p.describe}`),
    '',
    'Options:',
    ...options.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    '',
    'Not part of `npm test`. Progress goes to stderr, the report to stdout.',
  ].join('\n');
}

/** A command line the bench cannot run with; the message ends with the usage line. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/**
 * The command line, checked against the phases of the registry: the options, or the help text
 * when `--help` was given. A bad option throws a `BenchUsageError` saying why.
 */
export function parseBenchOptions(
  phases: readonly PhaseSummary[],
  args: readonly string[],
): BenchOptions | { readonly help: string } {
  const fail = (message: string): never => {
    throw new BenchUsageError(`${message}\n${usage(phases)}`);
  };
  const positiveInteger = (flag: string, value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1)
      fail(`--${flag} must be a positive integer, got "${value}".`);
    return parsed;
  };
  let values: Readonly<Record<string, string | boolean | undefined>>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        only: { type: 'string' },
        ...Object.fromEntries(
          numericNames.map((name) => [
            name,
            { type: 'string', default: String(NUMERIC_OPTIONS[name].default) },
          ]),
        ),
        json: { type: 'string' },
        'write-docs': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: help(phases) };
  const known = phases.map((p) => p.name);
  const only = typeof values.only === 'string' ? values.only.split(',').map((p) => p.trim()) : known;
  for (const phase of only) if (!known.includes(phase)) fail(`Unknown phase "${phase}".`);
  const numeric = Object.fromEntries(
    numericNames.map((name) => [name, positiveInteger(name, String(values[name]))]),
  ) as { [K in NumericOptionName]: number };
  return {
    ...numeric,
    phases: new Set(only),
    // npm runs scripts from the package root; a relative path means the caller's directory.
    json:
      typeof values.json === 'string'
        ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json)
        : undefined,
    writeDocs: values['write-docs'] === true,
  };
}
