// How the functions of a synthesized app were bundled, written beside its templates
// (`cdk.out/function-bundles.json`), so a tool that serves the assembly can rebuild one function
// the same way after a source edit (npm start's watch mode) and know which functions a changed
// file reaches. Plain data: no CDK, no esbuild here.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const BUNDLE_MANIFEST_FILE = 'function-bundles.json';

/** One staged bundle: the asset directory the template's `aws:asset:path` names. */
export interface ManifestBundle {
  /** `asset.<hash>`, relative to the cloud assembly. */
  readonly assetPath: string;
  /** Handler source relative to the project root. */
  readonly entry: string;
  /** Files copied next to the bundle (relative to the project root). */
  readonly files: readonly string[];
  /** The project's files the bundle was built from (relative to the project root; no node_modules). */
  readonly inputs: readonly string[];
}

/** One esbuild build: its options (JSON, entry points and output aside) and its bundles. */
export interface ManifestBuild {
  readonly options: Readonly<Record<string, unknown>>;
  readonly bundles: readonly ManifestBundle[];
}

export interface BundleManifest {
  readonly version: 1;
  /** Where the entries, inputs and files are relative to, and esbuild's working directory. */
  readonly projectRoot: string;
  readonly builds: readonly ManifestBuild[];
}

export function writeBundleManifest(assemblyDir: string, manifest: BundleManifest): void {
  writeFileSync(path.join(assemblyDir, BUNDLE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** The manifest of a cloud assembly, or undefined when it has none (not synthesized by us). */
export function readBundleManifest(assemblyDir: string): BundleManifest | undefined {
  const file = path.join(assemblyDir, BUNDLE_MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as BundleManifest;
  return manifest.version === 1 ? manifest : undefined;
}

/** `functions/catalog/list-products.ts` -> `functions-catalog-list-products` (one folder per entry). */
export const entryName = (entry: string) =>
  entry.replace(/\.[cm]?[jt]sx?$/, '').replace(/[^A-Za-z0-9_-]/g, '-');
