import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addShopStacks, stackNames } from '../../app.ts';
import { environmentConfig } from '../../config/environments.ts';
import { PROJECT_ROOT } from '../../constructs/endpoint-function.ts';

export interface SynthResult {
  readonly outdir: string;
  readonly apiStack: string;
  readonly dataStack: string;
  /** False when an earlier synthesis of the same sources was reused. */
  readonly synthesized: boolean;
}

/** Everything that shapes the synthesized app: its code, its config, its locked dependencies. */
const SOURCES = ['bin', 'lib', 'functions', 'cdk.json', 'package-lock.json'];
const STAMP = '.sources.sha256';

function sourceHash(envName: string): string {
  const hash = createHash('sha256').update(`env=${envName}\n`);
  const visit = (relative: string) => {
    const full = path.join(PROJECT_ROOT, relative);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) visit(path.join(relative, name));
    } else {
      hash.update(`${relative}\n`).update(readFileSync(full));
    }
  };
  for (const source of SOURCES) visit(source);
  return hash.digest('hex');
}

/**
 * Synthesizes one environment into `outdir`, in process, with the same code path as
 * `cdk synth` (bin/app.ts) and the context of cdk.json. Bundles are built by esbuild, locally.
 * With `reuse`, an earlier synthesis in `outdir` of byte-identical sources is kept, which
 * turns a restart of `npm start` from a full rebundle into a hash of the source tree.
 */
export function synthesize(envName: string, outdir: string, options: { reuse?: boolean } = {}): SynthResult {
  const names = stackNames(envName);
  const stampFile = path.join(outdir, STAMP);
  const hash = options.reuse ? sourceHash(envName) : undefined;
  if (hash && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
    return { outdir, apiStack: names.api, dataStack: names.data, synthesized: false };
  }
  if (options.reuse) rmSync(outdir, { recursive: true, force: true });
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
  if (hash) writeFileSync(stampFile, hash);
  return { outdir, apiStack: names.api, dataStack: names.data, synthesized: true };
}
