import { rmSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ReloadEvent, startWatch, type Watch, type WatchedBackend } from '../local/watch/index.ts';

/** What `npm start` watches: handler and domain code, and what shapes the template. */
export const WATCHED_CODE = ['functions'];
export const WATCHED_TEMPLATE = ['lib/api', 'lib/config'];

/**
 * Synthesizes the local environment in a worker thread (fresh modules: the edited route table,
 * not the one loaded at start) into `outdir`; rejects with the synthesis error and its output.
 */
export function synthesizeInWorker(envName: string, outdir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const worker = new Worker(path.join(import.meta.dirname, 'synth-worker.ts'), {
      workerData: { envName, outdir },
      stdout: true,
      stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      stream.setEncoding('utf8');
      // CDK's "Bundling asset ..." lines are noise here; kept for the error, if one comes.
      stream.on('data', (chunk: string) => output.push(chunk));
    }
    let done = false;
    worker.once('message', () => {
      done = true;
      resolve(outdir);
    });
    worker.once('error', (error) => {
      done = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`The synthesis exited with code ${code}:\n${output.join('').trim()}`));
    });
  });
}

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
      ? () => synthesizeInWorker('local', path.join(generations, `cdk.out-${++generation}`))
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
