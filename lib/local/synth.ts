import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addShopStacks, stackNames } from '../app.ts';
import { environmentConfig } from '../config/environments.ts';
import { PROJECT_ROOT } from '../constructs/endpoint-function.ts';

/**
 * Synthesizes one environment into `outdir`, in process, with the same code path as
 * `cdk synth` (bin/app.ts) and the context of cdk.json. Bundles are built by esbuild, locally.
 */
export function synthesize(
  envName: string,
  outdir: string,
): { outdir: string; apiStack: string; dataStack: string } {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  // The CLI sets these two; SAM and the local runtime find each function's bundle through them.
  const context = {
    ...cdkJson.context,
    env: envName,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:enable-path-metadata': true,
  };
  const app = new App({ outdir, context });
  addShopStacks(app, environmentConfig(envName));
  app.synth();
  const names = stackNames(envName);
  return { outdir, apiStack: names.api, dataStack: names.data };
}
