// What shapes a synthesis of the shop, and whether an earlier one can be reused, without loading
// CDK: `npm start` on an unchanged tree checks this and never imports the app (lib/synth.ts).
import path from 'node:path';
import { isSynthesisOf, sourceHash } from './local/cloudformation/synth-stamp.ts';

/** Everything that shapes the synthesized app: its code, its config, its locked dependencies. */
export const SYNTH_SOURCES = ['bin', 'lib', 'functions', 'cdk.json', 'package-lock.json'];

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** Whether `outdir` holds a synthesis of `envName` from the sources as they are now. */
export function reusableSynthesis(
  envName: string,
  outdir: string,
  context: Readonly<Record<string, string>> = {},
): boolean {
  const hash = sourceHash({
    projectRoot: PROJECT_ROOT,
    sources: SYNTH_SOURCES,
    context: { ...context, env: envName },
  });
  return isSynthesisOf(outdir, hash);
}
