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

/** `deployed`: NODE_OPTIONS as the template sets it (source maps on); `off`: without source maps. */
export const SOURCE_MAP_MODES = ['deployed', 'off'] as const;
export type SourceMapMode = (typeof SOURCE_MAP_MODES)[number];

export interface ColdStartSamples {
  readonly importMs: Record<SourceMapMode, number[]>;
  /** Resident memory right after the import, as deployed. */
  readonly rssMb: number[];
}

function environmentFor(target: BenchTarget, mode: SourceMapMode): Record<string, string> {
  const env = { ...target.environment };
  if (mode === 'off') {
    const rest = (env.NODE_OPTIONS ?? '')
      .split(/\s+/)
      .filter((option) => option && option !== '--enable-source-maps')
      .join(' ');
    if (rest) env.NODE_OPTIONS = rest;
    else delete env.NODE_OPTIONS;
  }
  return env;
}

/** One fresh process (this very Node binary, so Node 24) importing one bundle. */
async function probe(target: BenchTarget, mode: SourceMapMode): Promise<ProbeResult> {
  let stdout: string;
  try {
    // A clean environment, not ours: Lambda's process sees only its own variables.
    ({ stdout } = await execFileAsync(
      process.execPath,
      [PROBE, target.bundle, target.exportName, PROBE_MARKER],
      {
        env: environmentFor(target, mode),
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
 * Cold-start import times of every target, `runs` fresh processes per target and mode (`off`
 * only when `compareSourceMaps`: it doubles the run time). One
 * process at a time, so they do not compete for the CPU; and in rounds (every target once per
 * round, starting point rotating) rather than each target's runs back to back, so a noisy
 * moment on a shared machine is spread over all targets instead of landing on one. A first
 * round is discarded: it warms the page cache for Node and the bundles.
 */
export async function measureColdStarts(
  targets: readonly BenchTarget[],
  runs: number,
  compareSourceMaps: boolean,
  onRound: (round: number, total: number) => void = () => {},
): Promise<Map<string, ColdStartSamples>> {
  const measured: readonly SourceMapMode[] = compareSourceMaps ? SOURCE_MAP_MODES : ['deployed'];
  const samples = new Map<string, ColdStartSamples>(
    targets.map((t) => [t.name, { importMs: { deployed: [], off: [] }, rssMb: [] }]),
  );
  for (let round = 0; round <= runs; round++) {
    onRound(round, runs);
    const modes = round % 2 === 0 ? measured : [...measured].reverse();
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length] as BenchTarget;
      for (const mode of modes) {
        const result = await probe(target, mode);
        if (round === 0) continue;
        const entry = samples.get(target.name) as ColdStartSamples;
        entry.importMs[mode].push(result.importMs);
        if (mode === 'deployed') entry.rssMb.push(result.rssMb);
      }
    }
  }
  return samples;
}
