import os from 'node:os';
import path from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { bundleDefines, FUNCTION_BANNER, PROJECT_ROOT } from '../constructs/endpoint-function.ts';

export { FUNCTION_BANNER };

/**
 * The esbuild options NodejsFunction runs for an EndpointFunction (lib/constructs/endpoint-function.ts),
 * as the build API spells them: `esbuild --bundle <entry> --target=node24 --platform=node
 * --format=esm --outfile=index.mjs --minify --sourcemap --sources-content=false --log-level=warning --banner:js=...
 * --main-fields=module,main --define:process.env.SHOP_TRACED_CALLS=...`, no externals, no --tsconfig,
 * from the project root. Kept in step by
 * hand; bin/bench.ts checks the banner of every synthesized bundle to notice drift.
 */
export function functionBuildOptions(
  entry: string,
  outfile: string,
  define: Record<string, string> = bundleDefines(false),
): BuildOptions {
  return {
    define,
    entryPoints: [path.resolve(PROJECT_ROOT, entry)],
    absWorkingDir: PROJECT_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: FUNCTION_BANNER },
    logLevel: 'warning',
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

/** Builds a floor handler to `outdir/index.mjs` (+ map) exactly as a function is built. */
export async function buildFloor(entry: string, outdir: string): Promise<BundleComposition> {
  const result = await build({
    ...functionBuildOptions(entry, path.join(outdir, 'index.mjs')),
    metafile: true,
  });
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
