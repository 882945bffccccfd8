import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../constructs/endpoint-function.ts';
import { markdownTable, replaceSections } from './docs.ts';
import type { BenchOptions } from './options.ts';
import type { Goal } from './phase.ts';
import { renderTable } from './table.ts';

const DOC = path.join(PROJECT_ROOT, 'docs', 'performance.md');
const DOC_JSON = path.join(PROJECT_ROOT, 'docs', 'performance.json');
const DOC_CHART = path.join(PROJECT_ROOT, 'docs', 'performance-cold-start.svg');
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');

/** The machine the figures come from (the report's header and docs/performance.md). */
export interface Machine {
  readonly date: string;
  readonly node: string;
  readonly platform: string;
  /** `2 x <model>`. */
  readonly cpus: string;
  readonly loadAverageAtStart: readonly number[];
}

const loadAverage = () => os.loadavg().map((l) => Number(l.toFixed(2)));

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()}/${os.arch()}`,
    cpus: `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
    loadAverageAtStart: loadAverage(),
  };
}

/** The machine with the load average now, for the report's end. */
export function machineAtEnd(machine: Machine): Machine & { loadAverageAtEnd: number[] } {
  return { ...machine, loadAverageAtEnd: loadAverage() };
}

export function printHeader(print: (text?: string) => void, machine: Machine, options: BenchOptions): void {
  print(`Shop backend benchmark, ${machine.date}`);
  print(`  Node ${machine.node} on ${machine.platform} (Lambda runs Node 24 on arm64); ${machine.cpus}`);
  print(
    `  load average at start ${machine.loadAverageAtStart.join(' ')} (other work on this machine shows up here)`,
  );
  print(`  phases: ${[...options.phases].join(', ')}`);
  print('  Read the ratios: they compare against floors measured in this same run.');
  print();
}

/** Prints the goals table; the goals and machine sections of docs/performance.md. */
export function closingSections(
  print: (text?: string) => void,
  goals: readonly Goal[],
  machine: Machine,
  options: BenchOptions,
): Record<string, string> {
  const goalHeaders = ['goal', 'target', 'measured', 'met'];
  const goalRows = goals.map((g) => [
    g.goal,
    g.target,
    g.measured,
    g.met === undefined ? '(report)' : g.met ? 'yes' : 'NO',
  ]);
  print('Goals (issue 13)');
  print(
    renderTable(
      goalHeaders.map((header) => ({ header })),
      goalRows,
    ),
  );
  const end = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return {
    goals: markdownTable(goalHeaders, goalRows),
    machine: `Measured ${machine.date} on Node ${machine.node}, ${machine.platform}, ${machine.cpus}; load average ${machine.loadAverageAtStart.join(' ')} at the start and ${end} at the end (other work shares this machine). Command: \`npm run bench -- --write-docs\` (${options.runs} cold imports per bundle, ${options.requests} requests per latency probe, ${options.duration} s per throughput run, ${options.journeys} warm journeys, ${options.scale} items at scale, ${options.synths} rounds per synthesis).`,
  };
}

/** The raw figures as JSON at `file`. */
export function writeJsonReport(file: string, report: Readonly<Record<string, unknown>>): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * docs/performance.json (the report less the chart), the chart's SVG and the generated sections
 * of docs/performance.md, formatted as the repository formats everything (lint checks them).
 */
export function writeDocs(
  report: Readonly<Record<string, unknown>>,
  sections: Readonly<Record<string, string>>,
): string {
  const { chartSvg, ...figures } = report;
  writeFileSync(DOC_JSON, `${JSON.stringify(figures, null, 2)}\n`);
  if (typeof chartSvg === 'string') writeFileSync(DOC_CHART, chartSvg);
  writeFileSync(DOC, replaceSections(readFileSync(DOC, 'utf8'), sections));
  execFileSync(process.execPath, [BIOME, 'format', '--write', DOC, DOC_JSON, DOC_CHART], {
    stdio: 'ignore',
  });
  return `Wrote ${path.relative(PROJECT_ROOT, DOC)}, ${path.relative(PROJECT_ROOT, DOC_JSON)} and ${path.relative(PROJECT_ROOT, DOC_CHART)}`;
}
