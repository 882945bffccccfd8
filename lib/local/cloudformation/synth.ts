import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';

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
}

const STAMP = '.sources.sha256';

/**
 * The hash `reuse` compares: every file of `sources` under `projectRoot`, and the context. Callers
 * that keep syntheses by content (the test suite's cache) name them with it.
 */
export function sourceHash(options: Pick<SynthOptions, 'projectRoot' | 'sources' | 'context'>): string {
  const hash = createHash('sha256');
  for (const [name, value] of Object.entries(options.context)) hash.update(`${name}=${value}\n`);
  const visit = (relative: string) => {
    const full = path.join(options.projectRoot, relative);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) visit(path.join(relative, name));
    } else {
      hash.update(`${relative}\n`).update(readFileSync(full));
    }
  };
  for (const source of options.sources) visit(source);
  return hash.digest('hex');
}

/**
 * Synthesizes a CDK app into `outdir`, in process, with the same code path as `cdk synth` and
 * the context of cdk.json. Bundles are built by esbuild, locally. Answers whether it synthesized
 * (false: an earlier synthesis was reused).
 */
export function synthesizeApp(options: SynthOptions): { synthesized: boolean } {
  const { outdir } = options;
  const stampFile = path.join(outdir, STAMP);
  const hash = options.reuse ? sourceHash(options) : undefined;
  if (hash && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash)
    return { synthesized: false };
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
  const app = new App({ outdir, context });
  options.build(app);
  app.synth();
  if (hash) writeFileSync(stampFile, hash);
  return { synthesized: true };
}
