import { describe, expect, it } from 'vitest';
import {
  type CommandSpec,
  helpText,
  type OptionTable,
  parseCommandLine,
  UsageError,
} from '../../lib/cli/command-line.ts';
import { thrown } from '../support/errors.ts';

const SPEC = {
  command: 'npm run demo',
  summary: 'Does a demo.',
  positionals: { usage: '<name>', describe: 'what to demo' },
  options: {
    count: { type: 'integer', placeholder: 'N', min: 1, max: 10, default: 3, describe: 'how many' },
    seed: { type: 'integer', placeholder: 'N', describe: 'a seed' },
    format: { type: 'string', placeholder: 'a|b', choices: ['a', 'b'], default: 'a', describe: 'the format' },
    out: { type: 'string', placeholder: '<file>', describe: 'where to write' },
    yes: { type: 'boolean', describe: 'confirm' },
  },
  sections: [{ title: 'Environment', rows: [['DEMO_HOME', 'where demos live']] }],
  notes: ['Not part of npm test.'],
} as const satisfies CommandSpec<OptionTable>;

const parsed = (args: string[]) => {
  const result = parseCommandLine(SPEC, args);
  if ('help' in result) throw new Error('expected values, got the help');
  return result;
};
const refused = (args: string[]): string =>
  thrown(UsageError, () => parseCommandLine(SPEC, args), args.join(' ')).message;

describe('the shared command-line parser (lib/cli)', () => {
  it('types the values from the table: defaults filled in, integers as numbers, booleans false when absent', () => {
    const { values, positionals } = parsed(['thing', '--count', '7', '--out', 'x.json']);
    expect(values).toEqual({ count: 7, seed: undefined, format: 'a', out: 'x.json', yes: false });
    expect(positionals).toEqual(['thing']);
  });

  it('refuses what the table does not allow, in one line followed by the usage line', () => {
    const usage =
      'Usage: npm run demo -- <name> [--count N] [--seed N] [--format a|b] [--out <file>] [--yes]';
    expect(refused(['--count', '11'])).toBe(`--count must be an integer from 1 to 10, got "11".\n${usage}`);
    expect(refused(['--count', '2.5'])).toContain('--count must be an integer from 1 to 10, got "2.5".');
    expect(refused(['--seed', 'x'])).toContain('--seed must be an integer, got "x".');
    expect(refused(['--format', 'c'])).toContain('--format must be one of a, b, got "c".');
    expect(refused(['--fast'])).toBe(`Unknown option '--fast'.\n${usage}`);
    expect(refused(['--yes=1'])).toMatch(/^Option '--yes' does not take an argument\.\n/);
  });

  it('answers --help and -h with the usage, the summary, every option with its default, the sections and notes', () => {
    for (const flag of ['--help', '-h']) {
      const result = parseCommandLine(SPEC, [flag]);
      expect(result).toEqual({ help: helpText(SPEC) });
    }
    const help = helpText(SPEC);
    expect(help.split('\n').slice(0, 3)).toEqual([
      'Usage: npm run demo -- <name> [--count N] [--seed N] [--format a|b] [--out <file>] [--yes]',
      '',
      'Does a demo.',
    ]);
    for (const text of [
      'how many, default 3',
      '--format a|b',
      'the format, default a',
      '--yes',
      '--help',
      'DEMO_HOME',
      'Not part of npm test.',
    ])
      expect(help).toContain(text);
  });
});
