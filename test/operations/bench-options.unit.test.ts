import { describe, expect, it } from 'vitest';
import { type BenchOptions, BenchUsageError, parseBenchOptions } from '../../lib/bench/options.ts';
import { mergeResults } from '../../lib/bench/phase.ts';
import { PHASES } from '../../lib/bench/phases/registry.ts';
import { thrown } from '../support/errors.ts';

/** The phases in the order they run (the registry's order). */
const PHASE_ORDER = ['synth', 'cold', 'journey', 'warm', 'scale', 'search', 'dev-loop'];

const options = (args: string[]): BenchOptions => {
  const parsed = parseBenchOptions(PHASES, args);
  if ('help' in parsed) throw new Error('expected options, got the help');
  return parsed;
};

const usageError = (args: string[]): BenchUsageError =>
  thrown(BenchUsageError, () => parseBenchOptions(PHASES, args), args.join(' '));

describe('the bench phase registry', () => {
  it('holds each phase once, in the order they run, each with a line for --help', () => {
    expect(PHASES.map((p) => p.name)).toEqual([...PHASE_ORDER]);
    for (const phase of PHASES) expect(phase.describe.length).toBeGreaterThan(10);
  });
});

describe('the bench command line', () => {
  it('runs every phase of the registry with the documented defaults', () => {
    const parsed = options([]);
    expect([...parsed.phases]).toEqual([...PHASE_ORDER]);
    expect(parsed).toMatchObject({
      runs: 15,
      requests: 300,
      duration: 10,
      journeys: 15,
      scale: 100_000,
      synths: 3,
      json: undefined,
      writeDocs: false,
    });
  });

  it('takes --only as a comma-separated list of registry phases and numbers as positive integers', () => {
    const parsed = options(['--only', 'warm, cold', '--runs', '3', '--scale', '2000', '--write-docs']);
    expect([...parsed.phases]).toEqual(['warm', 'cold']);
    expect(parsed).toMatchObject({ runs: 3, scale: 2000, writeDocs: true });
  });

  it('refuses an unknown phase, a non-positive number and an unknown option with the usage line', () => {
    const usage =
      'Usage: npm run bench -- [--only synth,cold,journey,warm,scale,search,dev-loop] [--runs N] [--requests N] [--duration S] [--journeys N] [--scale N] [--synths N] [--json <file>] [--write-docs]';
    expect(usageError(['--only', 'cold,searching']).message).toBe(`Unknown phase "searching".\n${usage}`);
    expect(usageError(['--runs', '0']).message).toBe(`--runs must be a positive integer, got "0".\n${usage}`);
    expect(usageError(['--requests', '1.5']).message).toContain('--requests must be a positive integer');
    expect(usageError(['--fast']).message).toMatch(/Unknown option '--fast'[\s\S]*Usage: npm run bench/);
  });

  it('answers --help with every phase of the registry and every option', () => {
    const parsed = parseBenchOptions(PHASES, ['--help']);
    if (!('help' in parsed)) throw new Error('expected the help');
    for (const phase of PHASES) expect(parsed.help).toContain(`  ${phase.name} `);
    for (const phase of PHASES) expect(parsed.help).toContain(phase.describe);
    for (const flag of [
      '--runs N',
      '--requests N',
      '--duration S',
      '--journeys N',
      '--scale N',
      '--synths N',
      '--json',
      '--write-docs',
    ])
      expect(parsed.help).toContain(flag);
  });
});

describe('merging phase results', () => {
  it('keeps report keys and goals in the order of the parts', () => {
    const goal = (name: string) => ({ goal: name, target: '-', measured: '-', met: undefined });
    const merged = mergeResults(
      { report: { burst: 1, warmBreakdown: 2 }, sections: { burst: 'b' }, goals: [goal('a')] },
      { report: { warm: 3 }, sections: { warm: 'w' }, goals: [goal('b'), goal('c')] },
    );
    expect(Object.keys(merged.report)).toEqual(['burst', 'warmBreakdown', 'warm']);
    expect(merged.sections).toEqual({ burst: 'b', warm: 'w' });
    expect(merged.goals.map((g) => g.goal)).toEqual(['a', 'b', 'c']);
  });
});
