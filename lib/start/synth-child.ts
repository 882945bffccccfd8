// Runs in a worker thread started by watch.ts: one synthesis of an environment with the sources
// as they are on disk now. A thread has a module cache of its own, so the route table and the
// configuration are read afresh (the main thread's copies were loaded at start).
import { parentPort, workerData } from 'node:worker_threads';
import { synthesize } from '../synth.ts';

const { envName, outdir } = workerData as { envName: string; outdir: string };
synthesize(envName, outdir);
parentPort?.postMessage({ outdir });
