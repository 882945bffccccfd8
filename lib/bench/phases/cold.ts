import { readFileSync } from 'node:fs';
import { FUNCTION_BANNER } from '../bundling.ts';
import { measureColdStarts } from '../cold-start.ts';
import type { BenchContext, BenchPhase, PhaseResult } from '../phase.ts';
import { seconds } from '../table.ts';
import { coldResult } from './cold-report.ts';
import { buildColdTargets } from './cold-targets.ts';

/** The bundles' banner tells whether lib/bench/bundling.ts still builds like the constructs do. */
function warnOnForeignBundles(context: BenchContext): void {
  for (const fn of context.app.functions) {
    if (!readFileSync(fn.bundle, 'utf8').startsWith(FUNCTION_BANNER)) {
      context.progress(
        `WARNING: ${fn.name}'s bundle does not start with the banner lib/bench/bundling.ts expects; ` +
          'the bundling options in lib/constructs/endpoint-function.ts may have changed.',
      );
    }
  }
}

/**
 * Bundle sizes and cold imports of every function of the synthesized template (a fresh Node
 * process per sample, interleaved), against two GetItem floors (as a user would deploy it; with
 * our build choices) and the levers those choices were measured with.
 */
async function runCold(context: BenchContext): Promise<PhaseResult> {
  warnOnForeignBundles(context);
  const built = await buildColdTargets(context);
  const targets = [...built.floors, ...context.app.functions, ...built.levers.map((l) => l.target)];
  const { runs } = context.options;
  const started = performance.now();
  context.progress(
    `Cold starts: ${targets.length} bundles x ${runs} fresh processes, interleaved (+1 warm-up round)...`,
  );
  const samples = await measureColdStarts(targets, runs, (round, total) => {
    if (round % 5 === 0 || round === total) context.progress(`  cold-start round ${round}/${total}`);
  });
  context.progress(`Cold starts measured in ${seconds(started)}`);
  return coldResult(context, built, samples);
}

export const coldPhase: BenchPhase = {
  name: 'cold',
  describe: 'bundle sizes and cold imports of every function against two GetItem floors; the levers',
  run: runCold,
};
