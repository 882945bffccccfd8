import { addShopStacks, stackNames } from './app.ts';
import { environmentConfigFromContext } from './config/environments.ts';
import { PROJECT_ROOT } from './constructs/endpoint-function.ts';
import { synthesizeApp } from './local/cloudformation/synth.ts';
import { sourceHash } from './local/cloudformation/synth-stamp.ts';
import { SYNTH_SOURCES } from './synth-sources.ts';

export interface SynthResult {
  readonly outdir: string;
  readonly apiStack: string;
  readonly dataStack: string;
  /** False when an earlier synthesis of the same sources was reused. */
  readonly synthesized: boolean;
}

/** What a synthesis of `envName` with `reuse` would compare: a hash of its sources and context (the test suite's cache names its syntheses by it). */
export function synthesisHash(envName: string, context: Readonly<Record<string, string>> = {}): string {
  return sourceHash({
    projectRoot: PROJECT_ROOT,
    sources: SYNTH_SOURCES,
    context: { ...context, env: envName },
  });
}

/**
 * Synthesizes one environment of the shop into `outdir`, in process, with the same code path as
 * `cdk synth` (bin/app.ts) and the context of cdk.json; with `reuse`, an earlier synthesis of
 * byte-identical sources is kept (npm start, npm run invoke, the bench). The `local`
 * environment is synthesized without CDK's CloudFormation template validation: its templates
 * are only ever served by the local runtime, never handed to CloudFormation, and the
 * validation took 10 of the 71 s of a first `npm start` (docs/performance.md). `cdk synth -c
 * env=local` still validates, and test/infra validates every environment's templates.
 */
export function synthesize(
  envName: string,
  outdir: string,
  options: { reuse?: boolean; context?: Readonly<Record<string, string>> } = {},
): SynthResult {
  const names = stackNames(envName);
  const { synthesized } = synthesizeApp({
    outdir,
    projectRoot: PROJECT_ROOT,
    sources: SYNTH_SOURCES,
    context: { ...options.context, env: envName },
    reuse: options.reuse,
    validate: envName !== 'local',
    build: (app) =>
      addShopStacks(
        app,
        environmentConfigFromContext((key) => app.node.tryGetContext(key)),
      ),
  });
  return { outdir, apiStack: names.api, dataStack: names.data, synthesized };
}
