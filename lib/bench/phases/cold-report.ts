import { coldStartChart } from '../chart.ts';
import type { ColdStartSamples } from '../cold-start.ts';
import { markdownTable } from '../docs.ts';
import type { BenchContext, Goal, PhaseResult } from '../phase.ts';
import { type Summary, summarize } from '../stats.ts';
import { kb, ms, ratio, renderTable } from '../table.ts';
import type { BenchTarget } from '../targets.ts';
import {
  type ColdTargets,
  FLOOR_EMPTY,
  FLOOR_METRICS,
  FLOOR_OURS,
  FLOOR_PLAIN,
  FLOOR_TRACER,
  FLOOR_XRAY_SDK,
  LEVER_SUBJECT,
} from './cold-targets.ts';

/** One environment's functions, as measured (local's names are bare, the others' `<env>:<name>`). */
export interface EnvironmentFunctions {
  readonly name: string;
  readonly functions: readonly BenchTarget[];
}

/** One floor or function with its cold import against the floors. */
interface ColdRow {
  readonly target: BenchTarget;
  readonly p50: number;
  readonly p90: number;
  readonly xPlain: number;
  readonly xOurs: number;
  readonly sizeX: number;
  readonly rss: number;
}

/** The measured samples with the floors every ratio is taken against. */
interface Measured extends ColdTargets {
  readonly samples: ReadonlyMap<string, ColdStartSamples>;
  coldOf(name: string): Summary;
  /** The GetItem floor as a user builds it. */
  readonly plain: BenchTarget;
  readonly plainImport: Summary;
  readonly oursFloorImport: Summary;
}

const x = (value: number, floor: number) => (floor > 0 ? value / floor : Number.NaN);

function rowsOf(m: Measured, targets: readonly BenchTarget[]): ColdRow[] {
  const rssOf = (name: string) => summarize(m.samples.get(name)?.rssMb ?? []).p50;
  return targets.map((t) => {
    const s = m.coldOf(t.name);
    return {
      target: t,
      p50: s.p50,
      p90: s.p90,
      xPlain: x(s.p50, m.plainImport.p50),
      xOurs: x(s.p50, m.oursFloorImport.p50),
      sizeX: x(t.bundleBytes, m.plain.bundleBytes),
      rss: rssOf(t.name),
    };
  });
}

/** The largest parts of a bundle beyond the GetItem floor's. */
function partsBeyond(m: Measured, name: string): string {
  const parts = m.compositions.get(name);
  const floorParts = m.compositions.get(FLOOR_PLAIN);
  if (!parts) return '';
  return [...parts.byPart]
    .map(([part, bytes]) => [part, bytes - (floorParts?.byPart.get(part) ?? 0)] as const)
    .filter(([, bytes]) => bytes >= 1024)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([part, bytes]) => `${part} ${kb(bytes)}`)
    .join(', ');
}

/** Prints the bundles table and what lies beyond the floor; its markdown section. */
function bundlesSection(context: BenchContext, m: Measured, rows: readonly ColdRow[]): string {
  const { print } = context;
  const headers = [
    'bundle',
    'invoked by',
    'index.mjs KB',
    'x floor size',
    'import p50 ms',
    'p90 ms',
    'x GetItem floor',
    'x floor (our build)',
    'RSS MB',
  ];
  const cells = rows.map((r) => [
    r.target.name,
    r.target.label.length > 48 ? `${r.target.label.slice(0, 45)}...` : r.target.label,
    kb(r.target.bundleBytes),
    ratio(r.target.bundleBytes, m.plain.bundleBytes),
    ms(r.p50),
    ms(r.p90),
    ratio(r.p50, m.plainImport.p50),
    ratio(r.p50, m.oursFloorImport.p50),
    r.rss.toFixed(0),
  ]);
  print(
    `Bundles and cold imports (await import(index.mjs) in a fresh Node process, n=${context.options.runs})`,
  );
  print(
    renderTable(
      headers.map((header, i) => ({ header, align: i >= 2 ? 'right' : 'left' })),
      cells,
    ),
  );
  const emptyFloor = m.coldOf(FLOOR_EMPTY);
  print(`  Empty-handler floor: ${ms(emptyFloor.p50)} ms (what Node costs to import any ESM file).`);
  const floorCost = (name: string, base: { p50: number }) => ms(m.coldOf(name).p50 - base.p50);
  print(
    `  Observability at cold start (medians): Powertools Metrics adds ${floorCost(FLOOR_METRICS, emptyFloor)} ms ` +
      `(floor:metrics - floor:empty); our X-Ray recorder adds ${floorCost(FLOOR_TRACER, m.oursFloorImport)} ms ` +
      `(floor:tracer - floor:getitem-ours), the Powertools Tracer (X-Ray SDK) it replaced ${floorCost(FLOOR_XRAY_SDK, m.oursFloorImport)} ms; ` +
      'paid only where observability.tracedCalls bundles it.',
  );
  print('  Beyond the GetItem floor (KB of minified output), largest parts:');
  for (const fn of rows.map((r) => r.target).filter((t) => t.kind === 'function'))
    print(`    ${fn.name.padEnd(36)} ${partsBeyond(m, fn.name) || '(nothing beyond the floor)'}`);
  print();
  return markdownTable(
    [
      'function',
      'invoked by',
      'index.mjs KB',
      'x floor',
      'import p50 ms',
      'p90 ms',
      'x GetItem floor',
      'x our-build floor',
      'RSS MB',
    ],
    cells.map((c) => c.map((cell) => cell.replace(/\|/g, '\\|'))),
    [2, 3, 4, 5, 6, 7, 8],
  );
}

/** Prints the levers table (when the lever subject exists); its markdown section. */
function leversSection(context: BenchContext, m: Measured): string {
  const leverRows = m.levers.map((l) => ({ lever: l, p50: m.coldOf(l.name).p50 }));
  const shipped = leverRows.find((r) => r.lever.name === 'lever:shipped');
  const leverCells = leverRows.map((r) => [
    r.lever.what,
    kb(r.lever.target.bundleBytes),
    ms(r.p50),
    r.lever.name.startsWith('lever:zod') ? '' : ratio(r.p50, shipped?.p50 ?? Number.NaN),
    r.lever.decision,
  ]);
  if (leverRows.length > 0) {
    context.print(`Levers on ${LEVER_SUBJECT} (and zod alone), cold import n=${context.options.runs}`);
    context.print(
      renderTable(
        [
          { header: 'variant' },
          { header: 'KB', align: 'right' },
          { header: 'p50 ms', align: 'right' },
          { header: 'vs shipped', align: 'right' },
          { header: 'decision' },
        ],
        leverCells,
      ),
    );
    context.print();
  }
  return markdownTable(
    ['variant', 'index.mjs KB', 'import p50 ms', 'vs shipped', 'decision'],
    leverCells,
    [1, 2, 3],
  );
}

/** The function with the highest value of `key`, and that value. */
function worst(rows: readonly ColdRow[], key: 'xPlain' | 'sizeX'): { name: string; value: number } {
  const top = rows.reduce<ColdRow | undefined>(
    (a, b) => (a === undefined || b[key] > a[key] ? b : a),
    undefined,
  );
  return { name: top?.target.name ?? '-', value: top?.[key] ?? Number.NaN };
}

/** Per environment: every function's cold import and bundle size against the GetItem floor. */
function coldGoals(byEnvironment: ReadonlyMap<string, readonly ColdRow[]>): Goal[] {
  return [...byEnvironment].flatMap(([environment, rows]) => {
    const overImport = rows.filter((r) => r.xPlain > 1.0);
    const overSize = rows.filter((r) => r.sizeX > 1.1);
    const names = (over: readonly ColdRow[]) => over.map((r) => r.target.name).join(', ');
    const maxImport = worst(rows, 'xPlain');
    return [
      {
        goal: `Cold import of every function of ${environment} vs the GetItem floor as a user deploys it`,
        target: '<= 1.00x',
        measured: `max ${maxImport.value.toFixed(2)}x (${maxImport.name})${overImport.length ? `; over: ${names(overImport)}` : ''}; vs our-build floor max ${Math.max(...rows.map((r) => r.xOurs)).toFixed(2)}x`,
        met: overImport.length === 0,
      },
      {
        goal: `Bundle size of every function of ${environment} vs the GetItem floor`,
        target: '<= 1.10x',
        measured: `max ${worst(rows, 'sizeX').value.toFixed(2)}x${overSize.length ? ` (over: ${names(overSize)})` : ''}`,
        met: overSize.length === 0,
      },
    ];
  });
}

/** `prod:CatalogGetProduct` -> `CatalogGetProduct`. */
const constructIdOf = (name: string) => name.slice(name.indexOf(':') + 1);

/**
 * Prints every function of every environment side by side (bundle KB, cold import, x the GetItem
 * floor) and each environment's worst; its markdown section.
 */
function environmentsSection(
  context: BenchContext,
  byEnvironment: ReadonlyMap<string, readonly ColdRow[]>,
): string {
  const names = [...byEnvironment.keys()];
  const rowOf = new Map<string, ColdRow>();
  for (const [environment, rows] of byEnvironment)
    for (const row of rows) rowOf.set(`${environment}\n${constructIdOf(row.target.name)}`, row);
  const ids = [
    ...new Set([...byEnvironment.values()].flatMap((rows) => rows.map((r) => constructIdOf(r.target.name)))),
  ];
  const headers = ['function', ...names.flatMap((env) => [`${env} KB`, `${env} ms`, `${env} x floor`])];
  const cells = ids.map((id) => [
    id,
    ...names.flatMap((env) => {
      const row = rowOf.get(`${env}\n${id}`);
      return row ? [kb(row.target.bundleBytes), ms(row.p50), `${row.xPlain.toFixed(2)}x`] : ['', '', ''];
    }),
  ]);
  const { print } = context;
  print(
    `Every environment's bundles side by side (cold import p50, n=${context.options.runs}; x the GetItem floor)`,
  );
  print(
    renderTable(
      headers.map((header, i) => ({ header, align: i > 0 ? 'right' : 'left' })),
      cells,
    ),
  );
  const worstLines = [...byEnvironment].map(([env, rows]) => {
    const top = worst(rows, 'xPlain');
    return `${env} ${top.value.toFixed(2)}x (${constructIdOf(top.name)})`;
  });
  print(`  Worst cold import per environment vs the GetItem floor: ${worstLines.join('; ')}.`);
  print();
  return `${markdownTable(
    headers,
    cells,
    headers.map((_, i) => i).filter((i) => i > 0),
  )}\n\nWorst cold import per environment vs the GetItem floor: ${worstLines.join('; ')}.`;
}

/** The cold figures as the JSON report holds them. */
function coldReport(
  context: BenchContext,
  m: Measured,
  functionRows: readonly ColdRow[],
  byEnvironment: ReadonlyMap<string, readonly ColdRow[]>,
) {
  return {
    runs: context.options.runs,
    floors: m.floors.map((f) => ({
      name: f.name,
      label: f.label,
      bundleBytes: f.bundleBytes,
      ...m.coldOf(f.name),
    })),
    functions: functionRows.map((r) => ({
      name: r.target.name,
      label: r.target.label,
      entry: r.target.entry,
      bundleBytes: r.target.bundleBytes,
      mapBytes: r.target.mapBytes,
      importMs: m.coldOf(r.target.name),
      xPlainFloor: r.xPlain,
      xOurFloor: r.xOurs,
      sizeXFloor: r.sizeX,
      rssMb: r.rss,
      parts: Object.fromEntries(m.compositions.get(r.target.name)?.byPart ?? []),
    })),
    environments: Object.fromEntries(
      [...byEnvironment].map(([env, rows]) => [
        env,
        {
          worstImport: worst(rows, 'xPlain'),
          functions: rows.map((r) => ({
            name: constructIdOf(r.target.name),
            bundleBytes: r.target.bundleBytes,
            importP50Ms: r.p50,
            xPlainFloor: r.xPlain,
          })),
        },
      ]),
    ),
    levers: m.levers.map((l) => ({
      name: l.name,
      what: l.what,
      bundleBytes: l.target.bundleBytes,
      importMs: m.coldOf(l.name),
      decision: l.decision,
    })),
  };
}

/** The cold phase's tables, goals, report, docs sections and chart, from its samples. */
export function coldResult(
  context: BenchContext,
  built: ColdTargets,
  samples: ReadonlyMap<string, ColdStartSamples>,
  environments: readonly EnvironmentFunctions[],
): PhaseResult {
  const coldOf = (name: string) => summarize(samples.get(name)?.importMs ?? []);
  const m: Measured = {
    ...built,
    samples,
    coldOf,
    plain: built.floors.find((f) => f.name === FLOOR_PLAIN) as BenchTarget,
    plainImport: coldOf(FLOOR_PLAIN),
    oursFloorImport: coldOf(FLOOR_OURS),
  };
  const rows = rowsOf(m, [...m.floors, ...context.app.functions]);
  const bundles = bundlesSection(context, m, rows);
  const byEnvironment = new Map(environments.map((env) => [env.name, rowsOf(m, env.functions)] as const));
  const environmentsTable = environmentsSection(context, byEnvironment);
  const levers = leversSection(context, m);
  const functionRows = rows.filter((r) => r.target.kind === 'function');
  const chart = coldStartChart(
    `Cold import per function (median of ${context.options.runs} fresh processes, ${context.machine.date.slice(0, 10)})`,
    functionRows.map((r) => ({ name: r.target.name, p50: r.p50, p90: r.p90 })),
    [
      { label: 'GetItem floor (user build)', ms: m.plainImport.p50, color: '#c0392b' },
      { label: 'GetItem floor (our build)', ms: m.oursFloorImport.p50, color: '#27ae60' },
    ],
  );
  return {
    report: { cold: coldReport(context, m, functionRows, byEnvironment), chartSvg: chart },
    sections: { bundles, environments: environmentsTable, levers },
    goals: coldGoals(byEnvironment),
    findings: { cold: { samples, plainFloorImport: m.plainImport } },
  };
}
