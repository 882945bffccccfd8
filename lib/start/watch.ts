import { rmSync } from 'node:fs';
import path from 'node:path';
import { type ReloadEvent, startWatch, type Watch, type WatchedBackend } from '../local/watch/index.ts';
import { synthesizeInChild } from './synthesis.ts';

/** What `npm start` watches: handler and domain code, and what shapes the template. */
export const WATCHED_CODE = ['functions'];
export const WATCHED_TEMPLATE = ['lib/api', 'lib/config'];

export interface ShopWatchOptions {
  readonly backend: WatchedBackend;
  /** The checkout being served: its sources are watched and rebuilt. */
  readonly projectRoot: string;
  readonly assemblyDir: string;
  /** `.local`: new syntheses go to `<localDir>/watch/cdk.out-<n>`, removed on close. */
  readonly localDir: string;
  /** Whether a template change may re-synthesize (not when serving a given `--assembly`). */
  readonly synthesize: boolean;
  readonly log: (line: string, event: ReloadEvent) => void;
}

/** `npm start`'s watch mode: the shop's roots and its synthesis handed to lib/local/watch. */
export function startShopWatch(options: ShopWatchOptions): Watch {
  const generations = path.join(options.localDir, 'watch');
  rmSync(generations, { recursive: true, force: true });
  let generation = 0;
  const watch = startWatch({
    backend: options.backend,
    assemblyDir: options.assemblyDir,
    projectRoot: options.projectRoot,
    codeRoots: WATCHED_CODE,
    templateRoots: WATCHED_TEMPLATE,
    resynthesize: options.synthesize
      ? () => synthesizeInChild('local', path.join(generations, `cdk.out-${++generation}`))
      : undefined,
    bundleDir: path.join(generations, 'bundles'),
    log: options.log,
  });
  return {
    settled: () => watch.settled(),
    close: async () => {
      await watch.close();
      rmSync(generations, { recursive: true, force: true });
    },
  };
}
