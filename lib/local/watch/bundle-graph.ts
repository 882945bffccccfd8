import path from 'node:path';
import type { BundleManifest, ManifestBundle } from '../../constructs/bundle-manifest.ts';
import { type CloudAssembly, resourcesOfType } from '../cloudformation/template.ts';

/** One function's bundle as watch mode rebuilds it. */
export interface WatchedBundle {
  readonly logicalId: string;
  readonly entry: string;
  readonly files: readonly string[];
  /** The index of its build in the manifest (same esbuild options). */
  readonly build: number;
  /** Project files it was last built from, relative to the project root. */
  inputs: ReadonlySet<string>;
}

/**
 * The state of watch mode: which function's bundle reads which project file, from the cloud
 * assembly's bundle manifest (esbuild's metafile at synthesis), updated after every rebuild
 * with what the new bundle read.
 */
export class BundleGraph {
  readonly manifest: BundleManifest;
  private readonly bundles = new Map<string, WatchedBundle>();

  constructor(assembly: CloudAssembly, manifest: BundleManifest) {
    this.manifest = manifest;
    const byAsset = new Map<string, { bundle: ManifestBundle; build: number }>();
    manifest.builds.forEach((build, index) => {
      for (const bundle of build.bundles) byAsset.set(bundle.assetPath, { bundle, build: index });
    });
    for (const { logicalId, resource } of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      const found = typeof assetPath === 'string' ? byAsset.get(assetPath) : undefined;
      if (!found) continue;
      const { bundle, build } = found;
      this.bundles.set(logicalId, {
        logicalId,
        entry: bundle.entry,
        files: bundle.files,
        build,
        inputs: new Set(bundle.inputs),
      });
    }
  }

  /** How many functions it knows how to rebuild. */
  get size(): number {
    return this.bundles.size;
  }

  /**
   * The functions whose bundle read one of `changed` (paths relative to the project root), or
   * copies it next to the bundle.
   */
  affectedBy(changed: Iterable<string>): WatchedBundle[] {
    const files = new Set([...changed].map((file) => file.split(path.sep).join('/')));
    return [...this.bundles.values()].filter(
      (bundle) =>
        [...files].some((file) => bundle.inputs.has(file)) || bundle.files.some((file) => files.has(file)),
    );
  }

  /** Records what a function's rebuilt bundle read. */
  rebuilt(logicalId: string, inputs: readonly string[]): void {
    const bundle = this.bundles.get(logicalId);
    if (bundle) bundle.inputs = new Set(inputs);
  }
}
