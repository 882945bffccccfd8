import { parseArgs } from 'node:util';

/**
 * The one argument parser of every `npm run` script: `node:util` parseArgs under an option
 * table that also writes `--help` and the usage line, so what a script accepts and what it says
 * it accepts cannot drift. `--help` prints the help and exits 0; a bad command line prints one
 * line saying why, the usage line, and exits 2 (never a stack trace).
 */
export type OptionSpec =
  | { readonly type: 'boolean'; readonly describe: string; readonly short?: string }
  | {
      readonly type: 'string';
      /** What the value is, in the usage line: `<file>`, `N`, `pretty|json`. */
      readonly placeholder: string;
      readonly describe: string;
      readonly default?: string;
      /** The only values accepted, when the option is a choice. */
      readonly choices?: readonly string[];
      readonly short?: string;
      /** May be given more than once; the value is then every one given, in order. */
      readonly multiple?: boolean;
    }
  | {
      readonly type: 'integer';
      readonly placeholder: string;
      readonly describe: string;
      readonly default?: number;
      readonly min?: number;
      readonly max?: number;
    };

export type OptionTable = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { multiple: true }
    ? string[]
    : S extends { type: 'integer'; default: number }
      ? number
      : S extends { type: 'integer' }
        ? number | undefined
        : S extends { default: string }
          ? string
          : string | undefined;

/** The parsed options, typed from the table: an option with a default always has a value. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

/** A script's command line: its name, what it does, its options and anything else `--help` says. */
export interface CommandSpec<T extends OptionTable> {
  /** How it is run: `npm start`, `npm run fuzz`. */
  readonly command: string;
  /** One or two sentences: what it does. */
  readonly summary: string;
  /** Positional arguments in the usage line (`<function>`), when the script takes any. */
  readonly positionals?: { readonly usage: string; readonly describe: string };
  readonly options: T;
  /** More sections of the help: environment variables, the bench's phases... as `[name, text]` rows. */
  readonly sections?: readonly {
    readonly title: string;
    readonly rows: readonly (readonly [string, string])[];
  }[];
  /** Lines at the end of the help: examples, caveats. */
  readonly notes?: readonly string[];
}

export interface ParsedCommandLine<T extends OptionTable> {
  readonly values: OptionValues<T>;
  readonly positionals: readonly string[];
}

/** A command line the script cannot run with; the message is one line, then the usage line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const flagOf = (name: string, spec: OptionSpec): string => {
  if (spec.type === 'boolean') return `--${name}`;
  const short = spec.type === 'string' && spec.short ? `-${spec.short}|` : '';
  const repeat = spec.type === 'string' && spec.multiple ? '...' : '';
  return `${short}--${name} ${spec.placeholder}${repeat}`;
};

/** `Usage: npm run fuzz -- [--runs N] [--yes]`: every option, in the table's order. */
export function usageLine<T extends OptionTable>(spec: CommandSpec<T>): string {
  const parts = [
    ...(spec.positionals ? [spec.positionals.usage] : []),
    ...Object.entries(spec.options).map(([name, option]) => `[${flagOf(name, option)}]`),
  ];
  // npm passes what follows `--` to the script; `npm start` is a script too.
  return `Usage: ${spec.command}${parts.length ? ` -- ${parts.join(' ')}` : ''}`;
}

function describeOption(option: OptionSpec): string {
  // Choices the placeholder does not already show (`pretty|json`) are listed.
  const choices =
    option.type === 'string' && option.choices && !option.placeholder.includes('|')
      ? ` (${option.choices.join(', ')})`
      : '';
  const fallback =
    option.type !== 'boolean' && option.default !== undefined ? `, default ${option.default}` : '';
  return `${option.describe}${choices}${fallback}`;
}

/** The whole `--help` text: usage, summary, options, the extra sections and notes. */
export function helpText<T extends OptionTable>(spec: CommandSpec<T>): string {
  const optionRows: (readonly [string, string])[] = [
    ...(spec.positionals ? [[spec.positionals.usage, spec.positionals.describe] as const] : []),
    ...Object.entries(spec.options).map(
      ([name, option]) => [flagOf(name, option), describeOption(option)] as const,
    ),
    ['--help', 'this help'],
  ];
  const sections = [{ title: 'Options', rows: optionRows }, ...(spec.sections ?? [])];
  const width = Math.max(...sections.flatMap((s) => s.rows.map(([name]) => name.length))) + 2;
  return [
    usageLine(spec),
    '',
    spec.summary,
    ...sections.flatMap((section) => [
      '',
      `${section.title}:`,
      ...section.rows.map(([name, text]) => `  ${name.padEnd(width)}${text}`),
    ]),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
  ].join('\n');
}

/** Node's parse error as one short sentence: `Unknown option '--fast'.` */
function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const end = message.indexOf('. ');
  const sentence = end >= 0 ? message.slice(0, end) : message;
  return `${sentence.replace(/\.$/, '')}.`;
}

function integerRange(option: { min?: number; max?: number }): string {
  if (option.min === 1 && option.max === undefined) return 'a positive integer';
  if (option.min !== undefined && option.max !== undefined)
    return `an integer from ${option.min} to ${option.max}`;
  if (option.min !== undefined) return `an integer >= ${option.min}`;
  return 'an integer';
}

/** Checks one option's raw value against its spec; the typed value. */
function typedValue(
  name: string,
  option: OptionSpec,
  raw: string | boolean | (string | boolean)[] | undefined,
  fail: (m: string) => never,
) {
  if (option.type === 'boolean') return raw === true;
  if (option.type === 'string' && option.multiple) {
    const values = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
    for (const value of values)
      if (option.choices && !option.choices.includes(value))
        fail(`--${name} must be one of ${option.choices.join(', ')}, got "${value}".`);
    return values;
  }
  if (option.type === 'string') {
    const value = typeof raw === 'string' ? raw : option.default;
    if (value !== undefined && option.choices && !option.choices.includes(value))
      fail(`--${name} must be one of ${option.choices.join(', ')}, got "${value}".`);
    return value;
  }
  if (raw === undefined) return option.default;
  const value = String(raw);
  const parsed = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  const inRange =
    Number.isSafeInteger(parsed) &&
    (option.min === undefined || parsed >= option.min) &&
    (option.max === undefined || parsed <= option.max);
  if (!inRange) fail(`--${name} must be ${integerRange(option)}, got "${value}".`);
  return parsed;
}

/**
 * Parses `args` against the spec: the typed values and positionals, or the help text when
 * `--help` (or `-h`) was given. A bad command line throws a `UsageError`.
 */
export function parseCommandLine<T extends OptionTable>(
  spec: CommandSpec<T>,
  args: readonly string[],
): ParsedCommandLine<T> | { readonly help: string } {
  const fail = (message: string): never => {
    throw new UsageError(`${message}\n${usageLine(spec)}`);
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: spec.positionals !== undefined,
      options: {
        ...Object.fromEntries(
          Object.entries(spec.options).map(([name, option]) => [
            name,
            {
              type: option.type === 'boolean' ? 'boolean' : 'string',
              ...(option.type !== 'integer' && option.short ? { short: option.short } : {}),
              ...(option.type === 'string' && option.multiple ? { multiple: true } : {}),
            } as const,
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return fail(firstSentence(error));
  }
  if (parsed.values.help) return { help: helpText(spec) };
  const values = Object.fromEntries(
    Object.entries(spec.options).map(([name, option]) => [
      name,
      typedValue(name, option, parsed.values[name], fail),
    ]),
  ) as OptionValues<T>;
  return { values, positionals: parsed.positionals };
}

/** Prints a usage error (one line, then the usage line) and exits 2. */
export function exitWithUsage<T extends OptionTable>(spec: CommandSpec<T>, message: string): never {
  console.error(`${spec.command}: ${message}\n${usageLine(spec)}\nRun with --help for every option.`);
  process.exit(2);
}

/**
 * The script's command line, as `parseCommandLine` reads it from `process.argv`: `--help`
 * prints the help and exits 0; a bad option says why and exits 2.
 */
export function readCommandLine<T extends OptionTable>(
  spec: CommandSpec<T>,
  args: readonly string[] = process.argv.slice(2),
): ParsedCommandLine<T> {
  try {
    const parsed = parseCommandLine(spec, args);
    if (!('help' in parsed)) return parsed;
    console.log(parsed.help);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const [reason = ''] = error.message.split('\n');
    exitWithUsage(spec, reason);
  }
}
