import type { CfnTemplate, CloudAssembly } from '../../lib/local/cloudformation/template.ts';

/** A cloud assembly in memory (no bundles: nothing in it is run from disk), stacks by name. */
export function assemblyOf(stacks: Readonly<Record<string, CfnTemplate>>): CloudAssembly {
  return {
    dir: '/nowhere',
    stacks: Object.entries(stacks).map(([stackName, template]) => ({ stackName, template })),
  };
}
