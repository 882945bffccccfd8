/**
 * Watch mode of a local backend (`npm start`): a saved source file is served without a restart.
 * A change to a file some functions' bundles read rebuilds those bundles only (one esbuild build,
 * as at synthesis: bundle-graph.ts knows who reads what from the assembly's bundle manifest) and
 * replaces those functions' environments (in-flight requests finish on the old code; every other
 * function stays warm). A change under a template root (the route table, the configuration)
 * asks the app for a new synthesis and applies it (routes, functions, variables). A failed build
 * or synthesis is reported and the previous code keeps serving.
 *
 * The parts: file-watcher.ts (transport: fs.watch, bursts), bundle-graph.ts (state: who reads
 * what), rebundle.ts (the builds, incremental for what is edited again and again), reload-events.ts (what happened, as one line); this file runs
 * one reload at a time. It knows nothing of the app: the app hands in its roots and its synthesis.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { readBundleManifest } from '../../constructs/bundle-manifest.ts';
import type { TemplateReload } from '../cloudformation/reload.ts';
import { readCloudAssembly } from '../cloudformation/template.ts';
import { BundleGraph } from './bundle-graph.ts';
import { watchFiles } from './file-watcher.ts';
import { Rebundler } from './rebundle.ts';
import { type ReloadEvent, reloadLine } from './reload-events.ts';

export type { ReloadEvent } from './reload-events.ts';
export { reloadLine } from './reload-events.ts';

/** What watch mode drives: a running local backend. */
export interface WatchedBackend {
  replaceFunctionCode(logicalId: string, codeDir: string): Promise<void>;
  reload(assemblyDir: string): TemplateReload;
}

export interface WatchOptions {
  readonly backend: WatchedBackend;
  /** The cloud assembly the backend serves (with its bundle manifest). */
  readonly assemblyDir: string;
  /** Where the sources are read and rebuilt from; the manifest's project root by default. */
  readonly projectRoot?: string;
  /** Directories (relative to the project root) whose changes rebuild the functions reading them. */
  readonly codeRoots: readonly string[];
  /** Directories whose changes need a new synthesis (the route table, the configuration). */
  readonly templateRoots?: readonly string[];
  /** Synthesizes the app again from the sources on disk; answers the new assembly's directory. */
  readonly resynthesize?: () => Promise<string>;
  /** Where rebuilt bundles are written (`<assembly>/.watch` by default); removed on close. */
  readonly bundleDir?: string;
  readonly debounceMs?: number;
  /** One line per reload (`reloadLine`). */
  readonly log: (line: string, event: ReloadEvent) => void;
}

export interface Watch {
  /** Resolves once every change seen so far has been handled. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const under = (file: string, roots: readonly string[]) =>
  roots.some((root) => file === root || file.startsWith(`${root}${path.sep}`));

/** Watches the app's sources and reloads what changed in the running backend (see the file's header). */
export function startWatch(options: WatchOptions): Watch {
  const manifest = readBundleManifest(options.assemblyDir);
  if (!manifest) throw new Error(`${options.assemblyDir} has no bundle manifest: watch mode cannot rebuild.`);
  const projectRoot = options.projectRoot ?? manifest.projectRoot;
  const bundleDir = options.bundleDir ?? path.join(options.assemblyDir, '.watch');
  const templateRoots = (options.templateRoots ?? []).map((root) => path.join(projectRoot, root));
  let graph = new BundleGraph(readCloudAssembly(options.assemblyDir), manifest);
  const emit = (event: ReloadEvent) => options.log(reloadLine(event), event);
  const rebundler = new Rebundler(projectRoot, bundleDir);

  const reloadCode = async (changed: string[]) => {
    const started = performance.now();
    const affected = graph.affectedBy(changed);
    if (affected.length === 0) return emit({ kind: 'unused', changed });
    const result = await rebundler.rebuild(
      affected.map((bundle) => ({
        entry: bundle.entry,
        files: bundle.files,
        options: graph.manifest.builds[bundle.build]?.options ?? {},
      })),
    );
    if (!result.ok) return emit({ kind: 'error', stage: 'build', message: result.message, changed });
    for (const bundle of affected) {
      const rebuilt = result.bundles.get(bundle.entry);
      if (!rebuilt) continue;
      graph.rebuilt(bundle.logicalId, rebuilt.inputs);
      // Not awaited: draining waits for requests in flight, while new ones already get the new code.
      void options.backend.replaceFunctionCode(bundle.logicalId, rebuilt.codeDir);
    }
    const functions = affected.map((bundle) => bundle.logicalId);
    emit({ kind: 'code', functions, changed, ms: performance.now() - started });
  };

  const reloadTemplate = async (changed: string[]) => {
    const { resynthesize } = options;
    if (!resynthesize) return reloadCode(changed);
    const started = performance.now();
    let assemblyDir: string;
    try {
      assemblyDir = await resynthesize();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return emit({ kind: 'error', stage: 'synthesis', message, changed });
    }
    const reload = options.backend.reload(assemblyDir);
    const next = readBundleManifest(assemblyDir);
    if (next) graph = new BundleGraph(readCloudAssembly(assemblyDir), next);
    emit({ kind: 'template', reload, ms: performance.now() - started });
  };

  let queue = new Set<string>();
  let running: Promise<void> | undefined;
  const handle = async (paths: ReadonlySet<string>) => {
    const changed = [...paths].map((file) => path.relative(projectRoot, file)).sort();
    if ([...paths].some((file) => under(file, templateRoots))) await reloadTemplate(changed);
    else await reloadCode(changed);
  };
  const drain = async () => {
    while (queue.size > 0) {
      const batch = queue;
      queue = new Set();
      // Never let a reload's failure end watch mode, or the process.
      await handle(batch).catch((error: unknown) =>
        emit({ kind: 'error', stage: 'build', message: String(error), changed: [...batch] }),
      );
    }
  };
  const watcher = watchFiles({
    roots: [...options.codeRoots.map((root) => path.join(projectRoot, root)), ...templateRoots],
    debounceMs: options.debounceMs,
    onChanges: (paths) => {
      for (const file of paths) queue.add(file);
      running ??= drain().finally(() => {
        running = undefined;
      });
    },
  });
  return {
    settled: async () => {
      while (running) await running;
    },
    close: async () => {
      watcher.close();
      while (running) await running;
      await rebundler.dispose();
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}
