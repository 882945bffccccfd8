import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { isSynthesisOf, sourceHash, stampSynthesis } from './synth-stamp.ts';

export interface SynthOptions {
  /** Where the cloud assembly goes. */
  readonly outdir: string;
  /** The CDK project: its cdk.json gives the context, as the CLI's does. */
  readonly projectRoot: string;
  /** Everything under `projectRoot` that shapes the app (code, config, locked dependencies). */
  readonly sources: readonly string[];
  /** Context on top of cdk.json's (`env`, ...); it is part of what `reuse` compares. */
  readonly context: Readonly<Record<string, string>>;
  /** Adds the app's stacks. */
  readonly build: (app: App) => void;
  /**
   * Keep an earlier synthesis in `outdir` of byte-identical sources and context: a restart of
   * `npm start` then costs a hash of the source tree, not a full rebundle.
   */
  readonly reuse?: boolean;
  /**
   * Run CDK's built-in CloudFormation template validation (default true, as `cdk synth` does).
   * It checks templates CloudFormation would receive, so a synthesis that only the local
   * runtime serves can leave it out (it is seconds of WebAssembly per synthesis).
   */
  readonly validate?: boolean;
}

/**
 * Synthesizes a CDK app into `outdir`, in process, with the same code path as `cdk synth` and
 * the context of cdk.json. Bundles are built by esbuild, locally. Answers whether it synthesized
 * (false: an earlier synthesis was reused).
 */
export function synthesizeApp(options: SynthOptions): { synthesized: boolean } {
  const { outdir } = options;
  const hash = options.reuse ? sourceHash(options) : undefined;
  if (hash && isSynthesisOf(outdir, hash)) return { synthesized: false };
  if (options.reuse) rmSync(outdir, { recursive: true, force: true });
  const cdkJson = JSON.parse(readFileSync(path.join(options.projectRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  // The CLI sets these two; SAM and the local runtime find each function's bundle through them.
  const context = {
    ...cdkJson.context,
    ...options.context,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:enable-path-metadata': true,
  };
  const app = new App({ outdir, context, builtinCloudFormationValidation: options.validate ?? true });
  options.build(app);
  app.synth();
  if (hash) stampSynthesis(outdir, hash);
  return { synthesized: true };
}
