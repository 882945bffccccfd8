import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { productKey } from '../../../functions/catalog/keys.ts';
import { markdownTable } from '../docs.ts';
import { type LatencyProbe, type LatencySamples, measureLatency, WARMUP_REQUESTS } from '../latency.ts';
import type { BenchContext, PhaseResult } from '../phase.ts';
import { type Summary, summarize } from '../stats.ts';
import { ms, ratio, renderTable } from '../table.ts';
import type { WarmSetup } from './warm.ts';

const FLOOR_LABEL = 'floor: GetItem round trip (SDK in this process -> DynamoDB Local)';
const PRODUCT_LABEL = 'GET /products/{id}';

/** A function invocation as the runtime timed it: on the emulator's side and inside its environment. */
interface Invocation {
  readonly durationMs: number;
  readonly handlerMs: number;
}

function probesOf(setup: WarmSetup): LatencyProbe[] {
  const { client, documents, ids, auth, table } = setup;
  const check = (status: number, body: string) => ({
    ok: status === 200,
    detail: `${status} ${body.slice(0, 200)}`,
  });
  return [
    {
      label: FLOOR_LABEL,
      run: async (i) => {
        const out = await documents.send(
          new GetCommand({ TableName: table, Key: productKey(ids[i % ids.length] as string) }),
        );
        return { ok: Boolean(out.Item), detail: 'no item' };
      },
    },
    {
      label: 'GET /health',
      run: async () => client.request({ path: '/health' }).then((r) => check(r.status, r.body)),
    },
    {
      label: PRODUCT_LABEL,
      run: async (i) =>
        client.request({ path: `/products/${ids[i % ids.length]}` }).then((r) => check(r.status, r.body)),
    },
    {
      label: 'GET /products?limit=20',
      run: async () => client.request({ path: '/products?limit=20' }).then((r) => check(r.status, r.body)),
    },
    {
      label: 'GET /me (JWT)',
      run: async () => client.request({ path: '/me', headers: auth }).then((r) => check(r.status, r.body)),
    },
  ];
}

/** Latency samples per probe, with the product function's invocations seen meanwhile. */
async function measure(
  context: BenchContext,
  setup: WarmSetup,
  probes: readonly LatencyProbe[],
): Promise<{ latency: Map<string, LatencySamples>; productInvocations: Invocation[] }> {
  // The runtime reports each invocation's wall time on the emulator's side and the handler's
  // inside its environment: with the client's time they split a warm request into its parts.
  const productFunction = [...setup.backend.functions.values()].find((fn) =>
    fn.spec.logicalId.startsWith('CatalogGetProduct'),
  );
  const productInvocations: Invocation[] = [];
  const unobserve = productFunction?.observe((outcome) => {
    if (outcome.ok && outcome.handlerMs !== undefined)
      productInvocations.push({ durationMs: outcome.durationMs, handlerMs: outcome.handlerMs });
  });
  context.progress(
    `Warm latency: ${WARMUP_REQUESTS} warm-up + ${context.options.requests} sequential calls per probe, interleaved...`,
  );
  try {
    return {
      latency: await measureLatency(probes, context.options.requests, WARMUP_REQUESTS),
      productInvocations,
    };
  } catch (error) {
    if (!context.runtime.interrupted)
      context.progress(`Last lines of the local backend:\n${context.runtime.backendLog.join('\n')}`);
    throw error;
  } finally {
    unobserve?.();
  }
}

const summaryRow = (label: string, s: Summary, failures = 0) => [
  label,
  String(s.n),
  ms(s.p50),
  ms(s.p95),
  ms(s.p99),
  ms(s.max),
  String(failures),
];

/**
 * Splits the warm `GET /products/{id}` into its parts, as medians of per-request differences:
 * the client's time minus the runtime's (HTTP both ways, routing, the event, the response), the
 * runtime's minus the handler's (the event to the environment's thread and the result back),
 * and the handler against the floor (the same GetItem plus middy, validation and the response).
 * Pairs requests with invocations by order; both are sequential, warm-ups first.
 */
function warmBreakdown(
  context: BenchContext,
  floorMs: readonly number[],
  product: LatencySamples,
  invocations: readonly Invocation[],
): PhaseResult {
  const { print } = context;
  const measured = invocations.slice(-product.ms.length);
  if (product.failures > 0 || measured.length !== product.ms.length || measured.length === 0) {
    print(
      `Warm breakdown skipped: ${product.failures} failed requests, ${measured.length} invocations seen.`,
    );
    print();
    return { report: {}, sections: {}, goals: [] };
  }
  const floor = summarize([...floorMs]).p50;
  const p50 = (values: number[]) => summarize(values).p50;
  const handler = p50(measured.map((m) => m.handlerMs));
  const hop = p50(measured.map((m) => m.durationMs - m.handlerMs));
  const api = p50(product.ms.map((client, i) => client - (measured[i] as Invocation).durationMs));
  const total = p50([...product.ms]);
  const two = (value: number) => value.toFixed(2);
  const rows = [
    ['floor: GetItem round trip', two(floor), ratio(floor, floor)],
    ['function handler (its GetItem, middy, validation, response)', two(handler), ratio(handler, floor)],
    ['environment hop (event to the worker thread, result back)', two(hop), ratio(hop, floor)],
    ['API layer (HTTP both ways, routing, event, response)', two(api), ratio(api, floor)],
    ['GET /products/{id}, client side', two(total), ratio(total, floor)],
  ];
  const headers = ['part (medians)', 'p50 ms', 'x floor'];
  print('Where a warm GET /products/{id} spends its time');
  print(
    renderTable(
      headers.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      rows,
    ),
  );
  print('  Medians of per-request differences; the parts need not add up to the total exactly.');
  print();
  return {
    report: {
      warmBreakdown: {
        floorMs: floor,
        handlerMs: handler,
        environmentHopMs: hop,
        apiLayerMs: api,
        totalMs: total,
      },
    },
    sections: { 'warm-breakdown': markdownTable(headers, rows, [1, 2]) },
    goals: [],
  };
}

/** Warm latency of a few routes against a bare GetItem round trip from Node to DynamoDB Local. */
export async function warmLatency(context: BenchContext, setup: WarmSetup): Promise<PhaseResult> {
  const { print } = context;
  const probes = probesOf(setup);
  const { latency, productInvocations } = await measure(context, setup, probes);
  const floor = summarize(latency.get(FLOOR_LABEL)?.ms ?? []);
  const latencyRows = probes.map((p) => {
    const samples = latency.get(p.label) as LatencySamples;
    const s = summarize(samples.ms);
    return [...summaryRow(p.label, s, samples.failures), ratio(s.p50, floor.p50), ratio(s.p99, floor.p99)];
  });
  const latencyHeaders = [
    'probe',
    'n',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'failures',
    'p50 x floor',
    'p99 x floor',
  ];
  print('Warm latency (client side, sequential, after warm-up)');
  print(
    renderTable(
      latencyHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      latencyRows,
    ),
  );
  print(
    '  The floor does what GET /products/{id} does at its core, from a Node process with no API in between.',
  );
  print();
  const product = summarize(latency.get(PRODUCT_LABEL)?.ms ?? []);
  const breakdown = warmBreakdown(
    context,
    latency.get(FLOOR_LABEL)?.ms ?? [],
    latency.get(PRODUCT_LABEL) as LatencySamples,
    productInvocations,
  );
  return {
    report: {
      ...breakdown.report,
      warm: probes.map((p) => ({
        label: p.label,
        summary: summarize(latency.get(p.label)?.ms ?? []),
        failures: latency.get(p.label)?.failures ?? 0,
      })),
    },
    sections: {
      warm: markdownTable(latencyHeaders, latencyRows, [1, 2, 3, 4, 5, 6, 7, 8]),
      ...breakdown.sections,
    },
    goals: [
      {
        goal: 'GET /products/{id} p50 vs a bare GetItem round trip',
        target: '<= 1.30x',
        measured: `${ms(product.p50)} ms vs ${ms(floor.p50)} ms = ${ratio(product.p50, floor.p50)}`,
        met: product.p50 <= floor.p50 * 1.3,
      },
      {
        goal: 'GET /products/{id} p99 vs the floor p99',
        target: '<= 2.00x',
        measured: `${ms(product.p99)} ms vs ${ms(floor.p99)} ms = ${ratio(product.p99, floor.p99)}`,
        met: product.p99 <= floor.p99 * 2,
      },
    ],
  };
}
