import type { ShopBackend } from '../../demo/backend-hooks.ts';
import type { InvokeOutcome } from '../../local/lambda/outcome.ts';
import {
  chooseMemory,
  costPerMillion,
  EMAILS_PER_ORDER,
  emailCostPerThousandOrders,
  FULL_VCPU_MB,
  type FunctionUsage,
  INIT_BUDGET_MS,
  modelledDurationMs,
  modelledInitMs,
  PRICES,
} from '../cost.ts';
import { markdownTable } from '../docs.ts';
import type { DynamoDbCall, DynamoDbRecorder } from '../dynamodb-recorder.ts';
import type { BenchClient } from '../http-client.ts';
import { type JourneyContext, runJourney } from '../journey.ts';
import type { BenchContext, PhaseResult } from '../phase.ts';
import { summarize } from '../stats.ts';
import { ms, renderTable } from '../table.ts';

/** Each function's invocations by logical id, as the runtime reports them. */
export type Outcomes = Map<string, InvokeOutcome[]>;

/** What one function cost per invocation over the warm journeys. */
export type Usage = FunctionUsage & { logicalId: string; routes: string[] };

/** One function's usage from its warm invocations and recorded DynamoDB calls. */
function usageOf(
  context: BenchContext,
  logicalId: string,
  list: readonly InvokeOutcome[],
  calls: readonly DynamoDbCall[],
): Usage {
  const warm = list.filter((o) => o.ok && !o.coldStart);
  const name = context.app.nameOf(logicalId);
  const invocations = list.length;
  const coldStats = context.findings.cold?.samples.get(name);
  return {
    logicalId,
    name,
    routes: context.app.api.routes.filter((r) => r.functionLogicalId === logicalId).map((r) => r.routeKey),
    invocations,
    handlerMs: summarize(warm.map((o) => o.handlerMs ?? o.durationMs)).p50,
    // The function's thread, plus what ran in Node's thread pool for it (scrypt): the
    // process's CPU meanwhile less the emulator thread's.
    cpuMs: summarize(
      warm.map((o) => Math.max(o.cpuMs ?? 0, (o.processCpuMs ?? 0) - (o.mainThreadCpuMs ?? 0))),
    ).p50,
    dynamoDbRequests: calls.length / invocations,
    readUnits: calls.reduce((sum, c) => sum + c.readUnits, 0) / invocations,
    writeUnits: calls.reduce((sum, c) => sum + c.writeUnits, 0) / invocations,
    ...(coldStats
      ? { initMs: summarize(coldStats.importMs).p50, rssMb: summarize(coldStats.rssMb).p50 }
      : {}),
    heapUsedMb: Math.max(...warm.map((o) => o.heapUsedMb ?? 0)),
  };
}

/** `--journeys` more runs over every route: what each function costs per warm invocation. */
export async function warmJourneys(
  context: BenchContext,
  backend: ShopBackend,
  client: BenchClient,
  journey: JourneyContext,
  recorder: DynamoDbRecorder,
  outcomes: Outcomes,
): Promise<{ usage: Usage[]; failed: number }> {
  for (const logicalId of backend.functions.keys()) recorder.take(logicalId);
  outcomes.clear();
  const { journeys } = context.options;
  context.progress(`Warm journeys: ${journeys} more runs over every route, recording DynamoDB capacity...`);
  let failed = 0;
  for (let i = 0; i < journeys; i++) {
    const steps = await runJourney(client, journey, { strict: false });
    failed += steps.filter((s) => !s.ok).length;
    context.progress(
      `  journey ${i + 1}/${journeys}: ${steps.length} requests, ${steps.filter((s) => !s.ok).length} unexpected answers`,
    );
  }
  // Stream consumers run after the writes; give them a moment to finish theirs.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const usage: Usage[] = [];
  for (const [logicalId, list] of outcomes) {
    if (!list.some((o) => o.ok && !o.coldStart)) continue;
    usage.push(usageOf(context, logicalId, list, recorder.take(logicalId)));
  }
  usage.sort((a, b) => a.name.localeCompare(b.name));
  return { usage, failed };
}

/** Prints the cost per endpoint; its markdown section. */
function costSection(context: BenchContext, usage: readonly Usage[], failed: number): string {
  const { print } = context;
  const costRows = usage.map((u) => {
    const memoryMb = context.app.targetByLogicalId.get(u.logicalId)?.memoryMb ?? 1024;
    const cost = costPerMillion(u, memoryMb, u.routes.length > 0);
    return [
      u.routes.join(', ') || u.name,
      String(u.invocations),
      u.dynamoDbRequests.toFixed(2),
      u.readUnits.toFixed(2),
      u.writeUnits.toFixed(2),
      ms(u.handlerMs),
      ms(u.cpuMs),
      String(memoryMb),
      `$${cost.lambdaDuration.toFixed(2)}`,
      `$${(cost.dynamoDbReads + cost.dynamoDbWrites).toFixed(2)}`,
      `$${cost.total.toFixed(2)}`,
    ];
  });
  const costHeaders = [
    'endpoint (or function)',
    'calls',
    'DynamoDB req/call',
    'RRU/call',
    'WRU/call',
    'handler ms',
    'CPU ms',
    'memory MB',
    'Lambda GB-s /1M',
    'DynamoDB /1M',
    'total /1M',
  ];
  print(
    `Cost per endpoint (warm journeys; prices ${PRICES.region}, as of ${PRICES.asOf}; ${failed} unexpected answers)`,
  );
  print(
    renderTable(
      costHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      costRows,
    ),
  );
  print(
    `  total = Lambda requests $${PRICES.lambdaPerMillionRequests} + duration (modelled at the memory shown) + HTTP API $${PRICES.httpApiPerMillionRequests}`,
  );
  print(
    `  (endpoints only) + DynamoDB on-demand ($${PRICES.dynamoDbPerMillionReadUnits}/M RRU, $${PRICES.dynamoDbPerMillionWriteUnits}/M WRU), per million calls.`,
  );
  print(
    `  Email: ${EMAILS_PER_ORDER} emails per order (placed, paid, shipped, delivered) at SES's $${PRICES.sesPerThousandEmails} per 1,000 = $${emailCostPerThousandOrders().toFixed(2)} per 1,000 orders (plus NotificationsSendEmails' invocations, in the table when a journey ran it).`,
  );
  print();
  return markdownTable(
    costHeaders,
    costRows.map((r) => r.map((c) => c.replace(/\|/g, '\\|'))),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
}

/** Prints the memory tuning and the memory map it recommends; its markdown section. */
function tuningSection(context: BenchContext, usage: readonly Usage[]): string {
  const { print } = context;
  const { targetByLogicalId } = context.app;
  const tuningRows = usage.map((u) => {
    const configured = targetByLogicalId.get(u.logicalId)?.memoryMb ?? 0;
    const choice = chooseMemory(u);
    return [
      u.name,
      ms(u.handlerMs),
      ms(u.cpuMs),
      ms(u.initMs ?? Number.NaN),
      ms(modelledDurationMs(u, 512)),
      ms(modelledDurationMs(u, 1024)),
      ms(modelledDurationMs(u, FULL_VCPU_MB)),
      ms(modelledInitMs(u, choice.memoryMb) ?? Number.NaN),
      String(choice.memoryMb),
      String(configured),
      configured === choice.memoryMb ? '' : 'differs',
    ];
  });
  const tuningHeaders = [
    'function',
    'handler ms',
    'CPU ms',
    'import ms',
    'at 512 MB',
    'at 1024 MB',
    `at ${FULL_VCPU_MB} MB`,
    'init at choice',
    'recommended MB',
    'configured MB',
    '',
  ];
  print(
    `Memory tuning (model: CPU time scales with 1/memory below ${FULL_VCPU_MB} MB, waiting does not; rule in lib/bench/cost.ts, init budget ${INIT_BUDGET_MS} ms)`,
  );
  print(
    renderTable(
      tuningHeaders.map((header, i) => ({ header, align: i >= 1 ? 'right' : 'left' })),
      tuningRows,
    ),
  );
  print('  As lib/config/function-memory.ts would hold it (by function id):');
  for (const u of usage) {
    const id = targetByLogicalId.get(u.logicalId)?.functionId;
    if (id) print(`    ${id}: ${chooseMemory(u).memoryMb},`);
  }
  print();
  return markdownTable(tuningHeaders, tuningRows, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

/** The cost and tuning tables, sections and report from the warm journeys' usage. */
export function costResult(context: BenchContext, usage: readonly Usage[], failed: number): PhaseResult {
  const cost = costSection(context, usage, failed);
  const tuning = tuningSection(context, usage);
  const memoryOf = (u: Usage) => context.app.targetByLogicalId.get(u.logicalId)?.memoryMb;
  return {
    report: {
      usage: usage.map((u) => ({
        ...u,
        configuredMemoryMb: memoryOf(u),
        recommended: chooseMemory(u),
        costPerMillion: costPerMillion(u, memoryOf(u) ?? 1024, u.routes.length > 0),
      })),
      prices: PRICES,
    },
    sections: { cost, tuning },
    goals: [],
  };
}
