import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type BuildContext,
  type BuildFailure,
  type BuildOptions,
  build,
  context,
  type Metafile,
  type OutputFile,
} from 'esbuild';
import { entryName } from '../../constructs/bundle-manifest.ts';

/** One entry to rebuild, with the options of the build it came from. */
export interface RebuildRequest {
  readonly entry: string;
  readonly files: readonly string[];
  /** esbuild options from the bundle manifest (JSON; entry points and output aside). */
  readonly options: Readonly<Record<string, unknown>>;
}

export interface RebuiltBundle {
  /** A new directory holding the bundle (`<outdir>/<entry name>-<hash>`). */
  readonly codeDir: string;
  /** Project files it read, relative to the project root (node_modules left out). */
  readonly inputs: readonly string[];
}

export type RebuildResult =
  | { readonly ok: true; readonly bundles: ReadonlyMap<string, RebuiltBundle> }
  | { readonly ok: false; readonly message: string };

/** Groups requests by their build options: one esbuild build per group, as at synthesis. */
function groupByOptions(requests: readonly RebuildRequest[]): RebuildRequest[][] {
  const groups = new Map<string, RebuildRequest[]>();
  for (const request of requests) {
    const key = JSON.stringify(request.options);
    groups.set(key, [...(groups.get(key) ?? []), request]);
  }
  return [...groups.values()];
}

/** Writes one entry's outputs (and copied files) into a directory named by their content. */
function writeBundle(
  outdir: string,
  projectRoot: string,
  request: RebuildRequest,
  files: readonly OutputFile[],
): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.hash);
  const codeDir = path.join(outdir, `${entryName(request.entry)}-${hash.digest('hex').slice(0, 12)}`);
  mkdirSync(codeDir, { recursive: true });
  for (const file of files) writeFileSync(path.join(codeDir, path.basename(file.path)), file.contents);
  for (const file of request.files)
    copyFileSync(path.resolve(projectRoot, file), path.join(codeDir, path.basename(file)));
  return codeDir;
}

const ownInputs = (metafile: Metafile, output: string) =>
  Object.keys(metafile.outputs[output]?.inputs ?? {})
    .filter((input) => !input.includes('node_modules/'))
    .sort();

type Built = { outputFiles: OutputFile[]; metafile: Metafile };

/** esbuild's options for some entries of one option set, written nowhere (the bundles are written here). */
function buildOptions(group: readonly RebuildRequest[], projectRoot: string, outdir: string): BuildOptions {
  return {
    ...(group[0]?.options as BuildOptions),
    absWorkingDir: projectRoot,
    entryPoints: Object.fromEntries(
      group.map((request) => [`${entryName(request.entry)}/index`, path.resolve(projectRoot, request.entry)]),
    ),
    // Bundles land two levels under `outdir`, as here: their source maps' relative paths hold.
    outdir,
    write: false,
    metafile: true,
    logLevel: 'silent',
  };
}

/**
 * Rebuilds the bundles of some functions as their synthesis built them (same esbuild options),
 * into fresh directories under `outdir`, so environments still running the old code are not
 * disturbed. A function edited again and again keeps an incremental esbuild context (the last
 * `keep` of them): its rebuild re-reads only what changed. A change reaching many functions
 * (a shared module) is one build per option set, all its entries at once, as at synthesis. A
 * failed build answers esbuild's message and writes nothing.
 */
export class Rebundler {
  private readonly contexts = new Map<string, Promise<BuildContext>>();
  private readonly projectRoot: string;
  private readonly outdir: string;
  private readonly keep: number;

  constructor(projectRoot: string, outdir: string, keep = 8) {
    this.projectRoot = projectRoot;
    this.outdir = outdir;
    this.keep = keep;
  }

  async rebuild(requests: readonly RebuildRequest[]): Promise<RebuildResult> {
    const incremental = requests.length <= 2;
    const groups = incremental ? requests.map((request) => [request]) : groupByOptions(requests);
    let built: { group: readonly RebuildRequest[]; result: Built }[];
    try {
      built = await Promise.all(
        groups.map(async (group) => ({
          group,
          result: (incremental
            ? await (await this.contextOf(group[0] as RebuildRequest)).rebuild()
            : await build(buildOptions(group, this.projectRoot, this.outdir))) as Built,
        })),
      );
    } catch (error) {
      return { ok: false, message: (error as Partial<BuildFailure> & Error).message };
    }
    const bundles = new Map<string, RebuiltBundle>();
    for (const { group, result } of built) this.collect(group, result, bundles);
    return { ok: true, bundles };
  }

  /** The incremental context of one entry, the most recently used kept, the oldest disposed. */
  private contextOf(request: RebuildRequest): Promise<BuildContext> {
    const key = `${request.entry}\n${JSON.stringify(request.options)}`;
    const existing = this.contexts.get(key);
    this.contexts.delete(key);
    const ctx = existing ?? context(buildOptions([request], this.projectRoot, this.outdir));
    this.contexts.set(key, ctx);
    for (const [oldest, old] of this.contexts) {
      if (this.contexts.size <= this.keep) break;
      this.contexts.delete(oldest);
      void old.then((c) => c.dispose());
    }
    return ctx;
  }

  private collect(
    group: readonly RebuildRequest[],
    result: Built,
    bundles: Map<string, RebuiltBundle>,
  ): void {
    const byName = new Map(group.map((request) => [entryName(request.entry), request]));
    const outputs = new Map<string, OutputFile[]>();
    for (const file of result.outputFiles) {
      const name = path.basename(path.dirname(file.path));
      outputs.set(name, [...(outputs.get(name) ?? []), file]);
    }
    for (const [name, files] of outputs) {
      const request = byName.get(name);
      const bundle = files.find((file) => file.path.endsWith('.mjs'));
      if (!request || !bundle) continue;
      bundles.set(request.entry, {
        codeDir: writeBundle(this.outdir, this.projectRoot, request, files),
        inputs: ownInputs(result.metafile, path.relative(this.projectRoot, bundle.path)),
      });
    }
  }

  /** Ends every incremental context. */
  async dispose(): Promise<void> {
    const all = [...this.contexts.values()];
    this.contexts.clear();
    await Promise.all(all.map(async (ctx) => (await ctx).dispose()));
  }
}
