import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BuildFailure, type BuildOptions, build, type Metafile, type OutputFile } from 'esbuild';
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

/**
 * Rebuilds the bundles of some functions as their synthesis built them (same esbuild options,
 * one build per option set, all its entries at once), into fresh directories under `outdir`, so
 * environments still running the old code are not disturbed. A failed build answers esbuild's
 * message and writes nothing.
 */
export async function rebundle(
  requests: readonly RebuildRequest[],
  projectRoot: string,
  outdir: string,
): Promise<RebuildResult> {
  const bundles = new Map<string, RebuiltBundle>();
  for (const group of groupByOptions(requests)) {
    const byName = new Map(group.map((request) => [entryName(request.entry), request]));
    let result: { outputFiles: OutputFile[]; metafile: Metafile };
    try {
      result = await build({
        ...(group[0]?.options as BuildOptions),
        absWorkingDir: projectRoot,
        entryPoints: Object.fromEntries(
          [...byName].map(([name, request]) => [`${name}/index`, path.resolve(projectRoot, request.entry)]),
        ),
        // Bundles land two levels under `outdir`, as here: their source maps' relative paths hold.
        outdir,
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
    } catch (error) {
      const failure = error as Partial<BuildFailure> & Error;
      return { ok: false, message: failure.message };
    }
    const outputs = new Map<string, OutputFile[]>();
    for (const file of result.outputFiles) {
      const name = path.basename(path.dirname(file.path));
      outputs.set(name, [...(outputs.get(name) ?? []), file]);
    }
    for (const [name, files] of outputs) {
      const request = byName.get(name);
      const bundle = files.find((file) => file.path.endsWith('.mjs'));
      if (!request || !bundle) continue;
      const codeDir = writeBundle(outdir, projectRoot, request, files);
      bundles.set(request.entry, {
        codeDir,
        inputs: ownInputs(result.metafile, path.relative(projectRoot, bundle.path)),
      });
    }
  }
  return { ok: true, bundles };
}
