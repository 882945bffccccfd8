import { readFileSync } from 'node:fs';
import { synthesizeEnvironmentFunctions } from '../app.ts';
import { FUNCTION_BANNER } from '../bundling.ts';
import { measureColdStarts } from '../cold-start.ts';
import type { BenchContext, BenchPhase, PhaseResult } from '../phase.ts';
import { seconds } from '../table.ts';
import type { BenchTarget } from '../targets.ts';
import { coldResult, type EnvironmentFunctions } from './cold-report.ts';
import { buildColdTargets } from './cold-targets.ts';

/**
 * The environments that deploy, measured beside `local` (whose bundles the other phases run):
 * dev and prod differ from local where tracing is on (observability.tracedCalls); staging
 * builds prod's bundles.
 */
export const DEPLOYED_ENVIRONMENTS = ['dev', 'prod'] as const;

/** The bundles' banner tells whether lib/bench/bundling.ts still builds like the constructs do. */
function warnOnForeignBundles(context: BenchContext, functions: readonly BenchTarget[]): void {
  for (const fn of functions) {
    if (!readFileSync(fn.bundle, 'utf8').startsWith(FUNCTION_BANNER)) {
      context.progress(
        `WARNING: ${fn.name}'s bundle does not start with the banner lib/bench/bundling.ts expects; ` +
          'the bundling options in lib/constructs/function-bundler.ts may have changed.',
      );
    }
  }
}

/**
 * Bundle sizes and cold imports of every function of the synthesized templates, local's and
 * those of the environments that deploy (a fresh Node process per sample, interleaved), against
 * two GetItem floors (as a user would deploy it; with our build choices) and the levers those
 * choices were measured with.
 */
async function runCold(context: BenchContext): Promise<PhaseResult> {
  const environments: EnvironmentFunctions[] = [
    { name: 'local', functions: context.app.functions },
    ...DEPLOYED_ENVIRONMENTS.map((name) => ({
      name,
      functions: synthesizeEnvironmentFunctions(name, context.progress),
    })),
  ];
  const functions = environments.flatMap((environment) => environment.functions);
  warnOnForeignBundles(context, functions);
  const built = await buildColdTargets(context, functions);
  const targets = [...built.floors, ...functions, ...built.levers.map((l) => l.target)];
  const { runs } = context.options;
  const started = performance.now();
  context.progress(
    `Cold starts: ${targets.length} bundles x ${runs} fresh processes, interleaved (+1 warm-up round)...`,
  );
  const samples = await measureColdStarts(targets, runs, (round, total) => {
    if (round % 5 === 0 || round === total) context.progress(`  cold-start round ${round}/${total}`);
  });
  context.progress(`Cold starts measured in ${seconds(started)}`);
  return coldResult(context, built, samples, environments);
}

export const coldPhase: BenchPhase = {
  name: 'cold',
  describe:
    'bundle sizes and cold imports of every function (local, dev, prod) against two GetItem floors; the levers',
  run: runCold,
};
