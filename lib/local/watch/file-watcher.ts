import { type FSWatcher, watch } from 'node:fs';
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

/**
 * The transport of watch mode: `fs.watch` on each root (recursive; Linux needs Node 20+), events
 * gathered into one report per burst of saves. Roots that do not exist are skipped.
 */
export function watchFiles(options: FileWatcherOptions): FileWatcher {
  const debounceMs = options.debounceMs ?? 60;
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const paths = pending;
    pending = new Set();
    if (paths.size > 0) options.onChanges(paths);
  };
  const watchers: FSWatcher[] = [];
  for (const root of options.roots) {
    let watcher: FSWatcher;
    try {
      watcher = watch(root, { recursive: true }, (_event, name) => {
        if (!name) return;
        const changed = path.join(root, name.toString());
        if (IGNORED.test(changed)) return;
        pending.add(changed);
        clearTimeout(timer);
        timer = setTimeout(flush, debounceMs);
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    // A watched directory removed under us ends its watcher; the others go on.
    watcher.on('error', () => watcher.close());
    watchers.push(watcher);
  }
  return {
    close: () => {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
