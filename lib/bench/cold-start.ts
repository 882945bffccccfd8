import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchTarget } from './targets.ts';

const execFileAsync = promisify(execFile);
const PROBE = path.join(import.meta.dirname, 'import-probe.mjs');
/** Prefix of the probe's result line, so whatever module init prints cannot be mistaken for it. */
const PROBE_MARKER = '@@import-probe ';

/** What import-probe.mjs reports. */
interface ProbeResult {
  readonly importMs: number;
  readonly hasHandler: boolean;
  readonly rssMb: number;
}

export interface ColdStartSamples {
  readonly importMs: number[];
  /** Resident memory right after the import (Node itself included). */
  readonly rssMb: number[];
}

/** One fresh process (this very Node binary, so Node 24) importing one bundle. */
async function probe(target: BenchTarget): Promise<ProbeResult> {
  let stdout: string;
  try {
    // A clean environment, not ours: Lambda's process sees only its own variables.
    ({ stdout } = await execFileAsync(
      process.execPath,
      [PROBE, target.bundle, target.exportName, PROBE_MARKER],
      {
        env: { ...target.environment },
        timeout: 60_000,
        maxBuffer: 16 * 2 ** 20,
      },
    ));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `Importing ${target.name} (${target.bundle}) failed: ${error instanceof Error ? error.message : error}\n${stderr.slice(-2000)}`,
    );
  }
  const line = stdout.split('\n').find((l) => l.startsWith(PROBE_MARKER));
  if (!line)
    throw new Error(`The import probe for ${target.name} printed no result:\n${stdout.slice(-2000)}`);
  const result = JSON.parse(line.slice(PROBE_MARKER.length)) as ProbeResult;
  if (!result.hasHandler)
    throw new Error(`${target.bundle} does not export a function ${target.exportName}.`);
  return result;
}

/**
 * Cold-start import times of every target, `runs` fresh processes each, in the environment
 * the target runs in (its NODE_OPTIONS included). One process at a time, so they do not
 * compete for the CPU; and in rounds (every target once per round, starting point rotating)
 * rather than each target's runs back to back, so a noisy moment on a shared machine is spread
 * over all targets instead of landing on one. A first round is discarded: it warms the page
 * cache for Node and the bundles.
 */
export async function measureColdStarts(
  targets: readonly BenchTarget[],
  runs: number,
  onRound: (round: number, total: number) => void = () => {},
): Promise<Map<string, ColdStartSamples>> {
  const samples = new Map<string, ColdStartSamples>(
    targets.map((t) => [t.name, { importMs: [], rssMb: [] }]),
  );
  for (let round = 0; round <= runs; round++) {
    onRound(round, runs);
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length] as BenchTarget;
      const result = await probe(target);
      if (round === 0) continue;
      const entry = samples.get(target.name) as ColdStartSamples;
      entry.importMs.push(result.importMs);
      entry.rssMb.push(result.rssMb);
    }
  }
  return samples;
}
