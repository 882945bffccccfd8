import os from 'node:os';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { productKey } from '../../../functions/catalog/keys.ts';
import { markdownTable } from '../docs.ts';
import type { BenchContext, Goal, PhaseResult } from '../phase.ts';
import { renderTable } from '../table.ts';
import { type LoadResult, measureThroughput, processCpuMs } from '../throughput.ts';
import type { WarmSetup } from './warm.ts';

const CONCURRENCY = [1, 8, 64] as const;
/** Throughput goals by autocannon target label, requests per second. */
const TARGETS = [
  ['GET /products/{id}', 1500],
  ['GET /me (JWT)', 800],
] as const;

/** The GetItem floor's own throughput at one concurrency, from this process. */
interface FloorLoad {
  readonly connections: number;
  readonly requestsPerSecond: number;
  readonly cpuMsNode: number;
  readonly cpuMsDynamoDb?: number;
}

/** `connections` loops of GetItem from this process for `--duration` seconds. */
async function floorLoad(context: BenchContext, setup: WarmSetup, connections: number): Promise<FloorLoad> {
  const { duration } = context.options;
  const { documents, table, ids } = setup;
  const dynamoDbPid = setup.backend.dynamodbPid ?? context.runtime.dynamoDbPid;
  context.progress(`Floor throughput: GetItem from this process, ${connections} in flight, ${duration} s...`);
  const cpuBefore = process.cpuUsage();
  const javaBefore = processCpuMs(dynamoDbPid);
  let done = 0;
  const end = performance.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, k) => {
      for (let i = k; performance.now() < end; i++) {
        await documents.send(
          new GetCommand({
            TableName: table,
            Key: productKey(ids[i % ids.length] as string),
          }),
        );
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const javaAfter = processCpuMs(dynamoDbPid);
  return {
    connections,
    requestsPerSecond: done / duration,
    cpuMsNode: (cpu.user + cpu.system) / 1000 / Math.max(1, done),
    ...(javaBefore !== undefined && javaAfter !== undefined
      ? { cpuMsDynamoDb: (javaAfter - javaBefore) / Math.max(1, done) }
      : {}),
  };
}

/** Prints the throughput table; its markdown section. */
function throughputSection(
  context: BenchContext,
  floorLoads: readonly FloorLoad[],
  loads: readonly LoadResult[],
): string {
  const { print } = context;
  const loadHeaders = [
    'target',
    'connections',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'timeouts',
    'non-2xx',
    'CPU ms/req (Node)',
    'CPU ms/req (DynamoDB Local)',
  ];
  const loadRows = [
    ...floorLoads.map((f) => [
      'floor: GetItem from Node',
      String(f.connections),
      f.requestsPerSecond.toFixed(0),
      '',
      '',
      '0',
      '0',
      '0',
      f.cpuMsNode.toFixed(2),
      f.cpuMsDynamoDb?.toFixed(2) ?? '-',
    ]),
    ...loads.map((l) => [
      l.label,
      String(l.connections),
      l.requestsPerSecond.toFixed(0),
      String(l.latencyMs.p50),
      String(l.latencyMs.p99),
      String(l.errors),
      String(l.timeouts),
      String(l.non2xx),
      l.cpuMsPerRequest.node.toFixed(2),
      l.cpuMsPerRequest.dynamodb?.toFixed(2) ?? '-',
    ]),
  ];
  const cores = os.cpus().length;
  print(
    `Throughput (autocannon in its own process; emulator, functions and DynamoDB Local share ${cores} cores)`,
  );
  print(
    renderTable(
      loadHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      loadRows,
    ),
  );
  print(
    '  CPU ms/req: CPU time this process (emulator + function threads) and DynamoDB Local spent per request;',
  );
  print(`  ${cores} cores divided by their sum is what this machine could serve if nothing else ran on it.`);
  print();
  return markdownTable(loadHeaders, loadRows, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

function throughputGoals(floorLoads: readonly FloorLoad[], loads: readonly LoadResult[]): Goal[] {
  // The floor does a part of what each API request does: it bounds what the API can reach here.
  const floorBest = Math.max(...floorLoads.map((f) => f.requestsPerSecond));
  return TARGETS.map(([label, target]) => {
    const runs = loads.filter((l) => l.label === label);
    const best = runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const errors = runs.reduce((sum, l) => sum + l.errors + l.timeouts + l.non2xx, 0);
    return {
      goal: `Throughput ${label}, 0 errors`,
      target: `>= ${target} req/s`,
      measured: `best ${best.requestsPerSecond.toFixed(0)} req/s at ${best.connections} connections (${runs.map((l) => `c=${l.connections}: ${l.requestsPerSecond.toFixed(0)}`).join(', ')}); ${errors} errors, timeouts or non-2xx; the GetItem floor alone, no API: best ${floorBest.toFixed(0)} req/s`,
      met: best.requestsPerSecond >= target && errors === 0,
    };
  });
}

/** Throughput with autocannon (its own process) at each concurrency, and the floor's own. */
export async function warmThroughput(context: BenchContext, setup: WarmSetup): Promise<PhaseResult> {
  const { duration } = context.options;
  const base = setup.backend.url.replace('localhost', '127.0.0.1');
  const loads: LoadResult[] = [];
  const floorLoads: FloorLoad[] = [];
  for (const connections of CONCURRENCY) {
    floorLoads.push(await floorLoad(context, setup, connections));
    for (const target of [
      { label: 'GET /products/{id}', url: `${base}/products/${setup.ids[0]}` },
      { label: 'GET /me (JWT)', url: `${base}/me`, headers: setup.auth },
    ]) {
      context.progress(
        `Throughput: ${target.label}, ${connections} connections, ${duration} s (after a warm-up run)...`,
      );
      loads.push(await measureThroughput(target, connections, duration, context.runtime.dynamoDbPid));
    }
  }
  return {
    report: { throughput: { floor: floorLoads, api: loads } },
    sections: { throughput: throughputSection(context, floorLoads, loads) },
    goals: throughputGoals(floorLoads, loads),
  };
}
