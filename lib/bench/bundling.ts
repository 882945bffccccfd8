import os from 'node:os';
import path from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import {
  bundleDefines,
  FUNCTION_BANNER,
  FUNCTION_BUILD_OPTIONS,
  PROJECT_ROOT,
} from '../constructs/function-bundler.ts';

export { FUNCTION_BANNER };

/**
 * What a user would deploy without our choices: the handler bundled minified ESM for Node 24,
 * no source map, no aliases, no banner. (ESM entry points first, as our functions do:
 * esbuild's platform default, main fields `main,module`, would pick the SDK's CommonJS builds,
 * nearly twice the size, which would make the floor an easy one to beat.)
 */
export function plainBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [path.resolve(PROJECT_ROOT, entry)],
    absWorkingDir: PROJECT_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  };
}

/**
 * The esbuild options of a function's bundle (lib/constructs/function-bundler.ts builds every
 * function with them), for one entry: the plain options plus the source map without sources,
 * the banner, the aliases and the defines.
 */
export function functionBuildOptions(
  entry: string,
  outfile: string,
  define: Record<string, string> = bundleDefines(false),
): BuildOptions {
  return {
    ...FUNCTION_BUILD_OPTIONS,
    entryPoints: [path.resolve(PROJECT_ROOT, entry)],
    outfile,
    define,
    alias: { ...FUNCTION_BUILD_OPTIONS.alias },
    mainFields: [...FUNCTION_BUILD_OPTIONS.mainFields],
    external: [],
  };
}

/** Bytes of minified output per package (or per folder of our own code) in one bundle. */
export interface BundleComposition {
  readonly outputBytes: number;
  readonly byPart: ReadonlyMap<string, number>;
}

/** `node_modules/@smithy/core/dist-es/x.js` -> `@smithy/core`; `functions/core/http.ts` -> `functions/core`. */
function partOf(input: string): string {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at < 0) return input.split('/').slice(0, 2).join('/');
  const [scopeOrName = input, name] = input.slice(at + marker.length).split('/');
  return scopeOrName.startsWith('@') && name ? `${scopeOrName}/${name}` : scopeOrName;
}

function compositionOf(metafile: Metafile): BundleComposition {
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
  if (!output) throw new Error('esbuild reported no .mjs output.');
  const byPart = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const part = partOf(input);
    byPart.set(part, (byPart.get(part) ?? 0) + bytesInOutput);
  }
  return { outputBytes: output.bytes, byPart };
}

/** Builds `outdir/index.mjs` with the given options and reports what it is made of. */
export async function buildTo(options: BuildOptions): Promise<BundleComposition> {
  const result = await build({ ...options, metafile: true });
  return compositionOf(result.metafile);
}

/**
 * What a function's bundle is made of. The synthesized asset carries no metafile, so this
 * rebuilds the entry in memory with the same options; sizes match the asset up to the
 * minifier's renaming.
 */
export async function analyzeBundle(
  entry: string,
  define?: Record<string, string>,
): Promise<BundleComposition> {
  const result = await build({
    ...functionBuildOptions(entry, path.join(os.tmpdir(), 'shop-bench-analysis', 'index.mjs'), define),
    metafile: true,
    write: false,
  });
  return compositionOf(result.metafile);
}

/** Resolves one source module of ours to another file (a lever's alternative implementation). */
export function replaceModule(module: string, replacement: string): Plugin {
  const target = path.resolve(PROJECT_ROOT, module);
  return {
    name: `replace-${path.basename(module)}`,
    setup(pluginBuild) {
      pluginBuild.onResolve(
        { filter: new RegExp(`${path.basename(module).replace('.', '\\.')}$`) },
        (args) =>
          path.resolve(args.resolveDir, args.path) === target
            ? { path: path.resolve(PROJECT_ROOT, replacement) }
            : undefined,
      );
    },
  };
}
