import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  AspectPriority,
  Aspects,
  AssetHashType,
  BundlingOutput,
  type CfnResource,
  DockerImage,
  type ILocalBundling,
  Lazy,
  Stack,
  Stage,
} from 'aws-cdk-lib';
import { Code, type CodeConfig, type ResourceBindOptions } from 'aws-cdk-lib/aws-lambda';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct, IConstruct } from 'constructs';
import { type BuildOptions, buildSync, type Metafile, type OutputFile } from 'esbuild';
import { entryName, type ManifestBuild, writeBundleManifest } from './bundle-manifest.ts';
import { type NativePlatform, stageNativeModules } from './native-modules.ts';

/** The repository root: handler entries in the route table are relative to it. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Prepended to every bundle: some CJS dependencies call require() for Node built-ins. */
export const FUNCTION_BANNER =
  "import{createRequire as __shopCreateRequire}from'node:module';const require=__shopCreateRequire(import.meta.url);";

/**
 * Modules swapped for others in every bundle (esbuild `alias`, paths relative to the project
 * root). The SDK's default credential chain becomes its first link, the environment Lambda
 * sets: see functions/core/aws-credentials.ts.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/core/aws-credentials.ts',
};

/**
 * Constants esbuild writes into a function's bundle. `SHOP_TRACED_CALLS` decides at build time
 * whether functions/core/tracing.ts bundles the X-Ray recorder, so that a function without
 * traced calls carries none of it.
 */
export function bundleDefines(tracedCalls: boolean): Record<string, string> {
  return { 'process.env.SHOP_TRACED_CALLS': JSON.stringify(String(tracedCalls)) };
}

/**
 * esbuild's options for every function's bundle, entry points and defines aside: minified,
 * tree-shaken ESM for Node 24 with a source map beside it (`index.mjs` + `index.mjs.map`).
 */
export const FUNCTION_BUILD_OPTIONS = {
  absWorkingDir: PROJECT_ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // Linked (`//# sourceMappingURL=index.mjs.map`); maps without embedded sources still point
  // stack traces at file:line, and Node parses a third of the bytes at cold start (npm run bench).
  sourcemap: true,
  sourcesContent: false,
  // ESM entry points of the SDK tree-shake far better than its CJS builds.
  mainFields: ['module', 'main'],
  // Bundle the SDK rather than use the runtime's copy: pinned versions, smaller init.
  external: [],
  banner: { js: FUNCTION_BANNER },
  alias: { ...BUNDLE_ALIASES },
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** What one function's bundle is made of. */
export interface BundleRequest {
  /** Handler source relative to the project root. */
  readonly entry: string;
  /** esbuild `define`s: functions with different ones are built in different builds. */
  readonly define: Readonly<Record<string, string>>;
  /** Files (relative to the project root) copied next to the bundle, by base name. */
  readonly files: readonly string[];
  /**
   * Packages with native binaries (`sharp`): left out of the bundle (esbuild externals) and
   * copied into it as `node_modules/` for `platform` (native-modules.ts).
   */
  readonly nativeModules?: readonly string[];
  readonly platform?: NativePlatform;
}

/**
 * Where esbuild places the bundles (in memory: nothing is written there). Source maps name
 * their sources relative to the bundle, so every map says `../../functions/...` whatever the
 * checkout's path or the cloud assembly's directory: the bytes, and so the asset hashes, are
 * the same for the same sources anywhere.
 */
const VIRTUAL_OUTDIR = path.join(PROJECT_ROOT, 'cdk.out');

const groupKey = (define: Readonly<Record<string, string>>) =>
  JSON.stringify(Object.entries(define).sort(([a], [b]) => a.localeCompare(b)));

/** What one build made: each entry's output files, and the project files each output read. */
interface BuiltEntries {
  readonly outputs: Map<string, OutputFile[]>;
  /** By the same id as `outputs`: inputs relative to the project root, node_modules left out. */
  readonly inputs: Map<string, string[]>;
}

/** The project's own files each output of a build read, by output directory name. */
function inputsByEntry(metafile: Metafile): Map<string, string[]> {
  const inputs = new Map<string, string[]>();
  for (const [output, info] of Object.entries(metafile.outputs)) {
    if (!output.endsWith('.mjs')) continue;
    const own = Object.keys(info.inputs).filter((input) => !input.includes('node_modules/'));
    inputs.set(path.basename(path.dirname(output)), own.sort());
  }
  return inputs;
}

/**
 * Builds the entries of several requests: ONE esbuild build per distinct set of defines, all
 * its entries at once, so the modules they share are resolved and parsed once. Answers each
 * entry's output files (`index.mjs`, `index.mjs.map`) by group and entry.
 */
function buildEntries(requests: readonly BundleRequest[]): BuiltEntries {
  const groups = new Map<
    string,
    { define: Readonly<Record<string, string>>; entries: Set<string>; external: Set<string> }
  >();
  for (const request of requests) {
    const key = groupKey(request.define);
    const group = groups.get(key) ?? {
      define: request.define,
      entries: new Set<string>(),
      external: new Set<string>(),
    };
    group.entries.add(request.entry);
    for (const name of request.nativeModules ?? []) group.external.add(name);
    groups.set(key, group);
  }
  const outputs = new Map<string, OutputFile[]>();
  const inputs = new Map<string, string[]>();
  for (const [key, group] of groups) {
    const entryPoints: Record<string, string> = {};
    for (const entry of group.entries) {
      const name = `${entryName(entry)}/index`;
      const taken = entryPoints[name];
      if (taken)
        throw new Error(`${entry} and ${path.relative(PROJECT_ROOT, taken)} would share a bundle name.`);
      entryPoints[name] = path.resolve(PROJECT_ROOT, entry);
    }
    const result = buildSync({
      ...FUNCTION_BUILD_OPTIONS,
      entryPoints,
      outdir: VIRTUAL_OUTDIR,
      define: { ...group.define },
      external: [...FUNCTION_BUILD_OPTIONS.external, ...group.external],
      write: false,
      metafile: true,
    });
    for (const file of result.outputFiles) {
      const name = path.basename(path.dirname(file.path));
      const id = `${key}\n${name}`;
      outputs.set(id, [...(outputs.get(id) ?? []), file]);
    }
    for (const [name, read] of inputsByEntry(result.metafile)) inputs.set(`${key}\n${name}`, read);
  }
  return { outputs, inputs };
}

/**
 * A function's bundle handed to CDK's asset staging as "local bundling": it writes the bytes
 * esbuild produced in memory (and the copied files) into the staging directory, whose content
 * CDK then hashes (AssetHashType.OUTPUT). Its enumerable fields are what CDK's staging cache
 * keys on: two functions with the same entry, defines, files and content share one staged
 * asset. Without outputs (its stack needs no bundling: `cdk list`, another stack deployed
 * alone) CDK skips it and stages a placeholder.
 */
class PrebuiltBundle implements ILocalBundling {
  readonly entry: string;
  readonly define: Readonly<Record<string, string>>;
  readonly files: readonly string[];
  readonly nativeModules: readonly string[];
  readonly platform: NativePlatform;
  /** esbuild's hashes of the outputs: a rebuilt, changed bundle is never taken from the cache. */
  readonly contentHashes: readonly string[];
  readonly #outputs: readonly OutputFile[] | undefined;

  constructor(request: BundleRequest, outputs: readonly OutputFile[] | undefined) {
    this.entry = request.entry;
    this.define = request.define;
    this.files = request.files;
    this.nativeModules = request.nativeModules ?? [];
    this.platform = request.platform ?? 'linux-arm64';
    this.#outputs = outputs;
    this.contentHashes = (outputs ?? []).map((file) => `${path.basename(file.path)}:${file.hash}`).sort();
  }

  tryBundle(outputDir: string): boolean {
    if (!this.#outputs) throw new Error(`No bundle of ${this.entry} was built: its stack needs no bundling.`);
    for (const file of this.#outputs)
      writeFileSync(path.join(outputDir, path.basename(file.path)), file.contents);
    for (const file of this.files)
      copyFileSync(path.resolve(PROJECT_ROOT, file), path.join(outputDir, path.basename(file)));
    stageNativeModules(PROJECT_ROOT, this.nativeModules, this.platform, outputDir);
    return true;
  }
}

/** Stands in for a bundling image CDK's types ask for; never run, since the bundle is always local. */
const NO_IMAGE = DockerImage.fromRegistry('none:bundled-in-process-by-esbuild');

/**
 * A function's code whose bundle does not exist yet when the function is created: it binds to
 * the function with lazy S3 coordinates, and the asset behind them is created once the bundler
 * has built every function of the app.
 */
class DeferredBundleCode extends Code {
  readonly isInline = false;
  private scope: Construct | undefined;
  private resource: CfnResource | undefined;
  private resourceProperty = 'Code';
  private asset: Asset | undefined;
  private readonly bundler: FunctionBundler;
  readonly request: BundleRequest;

  constructor(bundler: FunctionBundler, request: BundleRequest) {
    super();
    this.bundler = bundler;
    this.request = request;
  }

  /** The function this code belongs to (after `bind`). */
  get owner(): Construct {
    if (!this.scope) throw new Error(`The bundle of ${this.request.entry} is bound to no function.`);
    return this.scope;
  }

  override bind(scope: Construct): CodeConfig {
    if (this.scope)
      throw new Error(`The bundle of ${this.request.entry} is already bound to ${this.scope.node.path}.`);
    this.scope = scope;
    this.bundler.register(this);
    const asset = () => {
      if (!this.asset)
        throw new Error(`${scope.node.path}: its bundle was never built (the app's bundler did not run).`);
      return this.asset;
    };
    return {
      s3Location: {
        bucketName: Lazy.string({ produce: () => asset().s3BucketName }),
        objectKey: Lazy.string({ produce: () => asset().s3ObjectKey }),
      },
    };
  }

  override bindToResource(resource: CfnResource, options: ResourceBindOptions = {}): void {
    this.resource = resource;
    this.resourceProperty = options.resourceProperty ?? 'Code';
  }

  /**
   * Creates the function's asset (`<function>/Code`, as `Code.fromAsset` would) from the built
   * bundle, or from none where the stack needs no bundling (`cdk synth` of other stacks only,
   * `cdk list`: CDK then skips staging) and marks the function resource with `aws:asset:path`,
   * which SAM and the local runtime read.
   */
  attach(bundle: ILocalBundling): Asset {
    this.asset = new Asset(this.owner, 'Code', {
      path: PROJECT_ROOT,
      deployTime: true,
      assetHashType: AssetHashType.OUTPUT,
      bundling: { image: NO_IMAGE, local: bundle, outputType: BundlingOutput.NOT_ARCHIVED },
    });
    if (this.resource) this.asset.addResourceMetadata(this.resource, this.resourceProperty);
    return this.asset;
  }
}

const BUNDLERS = new WeakMap<IConstruct, FunctionBundler>();

/**
 * Builds the bundles of every function of an app with as few esbuild builds as there are
 * distinct `define` sets (one or two), instead of one esbuild process per function. Functions
 * take their code from `FunctionBundler.of(scope).code(...)`; the build runs when the app is
 * synthesized (an aspect of the app, before any other), and each function's asset is then
 * staged and hashed from its built output, so the same sources give the same asset hash.
 */
export class FunctionBundler {
  private readonly codes: DeferredBundleCode[] = [];
  private built = false;

  /** The bundler of the app `scope` belongs to (one per construct tree). */
  static of(scope: IConstruct): FunctionBundler {
    const root = scope.node.root;
    const existing = BUNDLERS.get(root);
    if (existing) return existing;
    const bundler = new FunctionBundler();
    BUNDLERS.set(root, bundler);
    Aspects.of(root).add({ visit: () => bundler.build() }, { priority: AspectPriority.MUTATING });
    return bundler;
  }

  /** Code for one function, built with all the others at synthesis. */
  code(request: BundleRequest): Code {
    return new DeferredBundleCode(this, request);
  }

  /** Called by a code when its function binds it. */
  register(code: DeferredBundleCode): void {
    if (this.built)
      throw new Error(`${code.owner.node.path} was added after the app's functions were bundled.`);
    this.codes.push(code);
  }

  /**
   * Builds the bundles of every function whose stack needs bundling, once, and creates every
   * function's asset. Runs by itself at synthesis; later calls do nothing.
   */
  build(): void {
    if (this.built) return;
    this.built = true;
    const wanted = this.codes.filter((code) => Stack.of(code.owner).bundlingRequired);
    const built: BuiltEntries =
      wanted.length > 0
        ? buildEntries(wanted.map((code) => code.request))
        : { outputs: new Map(), inputs: new Map() };
    const builds = new Map<string, ManifestBuild & { bundles: ManifestBuild['bundles'][number][] }>();
    for (const code of this.codes) {
      const key = groupKey(code.request.define);
      const id = `${key}\n${entryName(code.request.entry)}`;
      const asset = code.attach(new PrebuiltBundle(code.request, built.outputs.get(id)));
      const inputs = built.inputs.get(id);
      if (!inputs) continue;
      const build = builds.get(key) ?? {
        options: {
          ...FUNCTION_BUILD_OPTIONS,
          absWorkingDir: undefined,
          define: code.request.define,
          // As buildEntries: native modules stay out of every bundle of the build.
          external: [
            ...FUNCTION_BUILD_OPTIONS.external,
            ...new Set(
              this.codes
                .filter((other) => groupKey(other.request.define) === key)
                .flatMap((other) => other.request.nativeModules ?? []),
            ),
          ],
        },
        bundles: [],
      };
      build.bundles.push({
        assetPath: asset.assetPath,
        entry: code.request.entry,
        files: code.request.files,
        inputs,
      });
      builds.set(key, build);
    }
    // Read by `npm start`'s watch mode to rebuild one function as this build did.
    const outdir = this.codes[0] ? Stage.of(this.codes[0].owner)?.outdir : undefined;
    if (outdir && builds.size > 0)
      writeBundleManifest(outdir, { version: 1, projectRoot: PROJECT_ROOT, builds: [...builds.values()] });
  }
}
