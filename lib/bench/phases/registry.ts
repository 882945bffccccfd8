import type { BenchPhase } from '../phase.ts';
import { coldPhase } from './cold.ts';
import { devLoopPhase } from './dev-loop.ts';
import { journeyPhase } from './journey.ts';
import { scalePhase } from './scale.ts';
import { searchPhase } from './search.ts';
import { synthPhase } from './synth.ts';
import { warmPhase } from './warm.ts';

/**
 * The phases of `npm run bench`, in the order they run. `--only` and `--help` read this list; a
 * new phase is one file beside this one and one entry here. The order matters where a phase
 * uses another's findings: the journey's cost model takes the cold imports when cold ran first.
 */
export const PHASES: readonly BenchPhase[] = [
  synthPhase,
  coldPhase,
  journeyPhase,
  warmPhase,
  scalePhase,
  searchPhase,
  devLoopPhase,
];
