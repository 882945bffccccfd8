// Whether an earlier synthesis can be reused: a hash of everything that shapes the app, kept
// beside the cloud assembly. No CDK here, so a restart that reuses never loads it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SourceSet {
  /** The CDK project. */
  readonly projectRoot: string;
  /** Everything under `projectRoot` that shapes the app (code, config, locked dependencies). */
  readonly sources: readonly string[];
  /** The context the app is synthesized with (`env`, ...). */
  readonly context: Readonly<Record<string, string>>;
}

const STAMP = '.sources.sha256';

/** A hash of the sources' names and bytes, and of the context. */
export function sourceHash(set: SourceSet): string {
  const hash = createHash('sha256');
  for (const [name, value] of Object.entries(set.context)) hash.update(`${name}=${value}\n`);
  const visit = (relative: string) => {
    const full = path.join(set.projectRoot, relative);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) visit(path.join(relative, name));
    } else {
      hash.update(`${relative}\n`).update(readFileSync(full));
    }
  };
  for (const source of set.sources) visit(source);
  return hash.digest('hex');
}

/** Whether `outdir` holds a synthesis of sources with this hash. */
export function isSynthesisOf(outdir: string, hash: string): boolean {
  const stamp = path.join(outdir, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
}

/** Marks `outdir` as a synthesis of sources with this hash (written last: a half-written assembly has none). */
export function stampSynthesis(outdir: string, hash: string): void {
  writeFileSync(path.join(outdir, STAMP), hash);
}
