import { spawn } from 'node:child_process';
import path from 'node:path';

export interface ChildSynthesisOptions {
  /** Keep an earlier synthesis of the same sources in `outdir` (and stamp this one for the next start). */
  readonly reuse?: boolean;
  /** Stops the synthesis: the child is killed, and the promise rejects once it has exited. */
  readonly signal?: AbortSignal;
}

/**
 * Synthesizes an environment in a child process (synth-child.ts) into `outdir`; rejects with
 * the synthesis error and its output. The synthesis is synchronous (CDK, esbuild's buildSync):
 * apart from this process it leaves its event loop free, for `npm start` to create and seed the
 * table meanwhile and for watch mode to keep serving, and a process of its own loads its
 * modules afresh, so a re-synthesis sees the route table as edited. A process rather than a
 * worker thread: Node 24 aborts with a fatal V8 error when a process exits (Ctrl+C) or
 * terminates a worker while the worker is busy, which would leave DynamoDB Local's Java behind.
 */
export function synthesizeInChild(
  envName: string,
  outdir: string,
  options: ChildSynthesisOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const child = spawn(
      process.execPath,
      [
        path.join(import.meta.dirname, 'synth-child.ts'),
        envName,
        outdir,
        ...(options.reuse ? ['--reuse'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      // CDK's "Bundling asset ..." lines are noise here; kept for the error, if one comes.
      stream.on('data', (chunk: string) => output.push(chunk));
    }
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', stop);
      if (code === 0) resolve(outdir);
      else if (options.signal?.aborted) reject(new Error('The synthesis was stopped.'));
      else
        reject(
          new Error(`The synthesis exited with ${signal ?? `code ${code}`}:\n${output.join('').trim()}`),
        );
    });
  });
}
