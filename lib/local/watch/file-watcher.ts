import { type Dirent, existsSync, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import path from 'node:path';

export interface FileWatcherOptions {
  /** Directories watched with everything under them (absolute). */
  readonly roots: readonly string[];
  /** Quiet time after the last event before a burst is reported (an editor's save is several events). */
  readonly debounceMs?: number;
  /** Called once per burst with the absolute paths that changed (created, written, renamed, deleted). */
  readonly onChanges: (paths: ReadonlySet<string>) => void;
}

export interface FileWatcher {
  close(): void;
}

/** Editors' swap and backup files, and what tools write under the sources: never a source change. */
const IGNORED = /(^|[\\/])(\.#|#)|~$|\.sw[px]$|\.tmp$|[\\/]node_modules[\\/]|[\\/]\.git[\\/]/;

/** Directories under `root` (itself included) worth watching. */
function directoriesUnder(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    found.push(dir);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries)
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
        visit(path.join(dir, entry.name));
  };
  if (existsSync(root)) visit(root);
  return found;
}

/**
 * The transport of watch mode: events of every directory under the roots gathered into one
 * report per burst of saves. One `fs.watch` per directory rather than `{ recursive: true }`:
 * on Linux, Node's recursive watcher loses a file once an editor replaces it by a rename (how
 * vim, sed -i and git write), while a directory's watch sees every name in it, new
 * directories included. Roots that do not exist are skipped.
 */
export function watchFiles(options: FileWatcherOptions): FileWatcher {
  const debounceMs = options.debounceMs ?? 25;
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const paths = pending;
    pending = new Set();
    if (paths.size > 0) options.onChanges(paths);
  };
  const watchers = new Map<string, FSWatcher>();
  const unwatch = (dir: string) => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
  };
  const watchDirectory = (dir: string) => {
    if (watchers.has(dir)) return;
    try {
      const watcher = watch(dir, (_event, name) => name && changed(path.join(dir, name.toString())));
      // A watched directory removed under us ends its watcher; the others go on.
      watcher.on('error', () => unwatch(dir));
      watchers.set(dir, watcher);
    } catch {
      // Gone before it could be watched.
    }
  };
  const changed = (file: string) => {
    if (IGNORED.test(file)) return;
    let isDirectory = false;
    try {
      isDirectory = statSync(file).isDirectory();
    } catch {
      unwatch(file);
    }
    if (isDirectory) for (const dir of directoriesUnder(file)) watchDirectory(dir);
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };
  for (const root of options.roots) for (const dir of directoriesUnder(root)) watchDirectory(dir);
  return {
    close: () => {
      clearTimeout(timer);
      for (const dir of [...watchers.keys()]) unwatch(dir);
    },
  };
}
