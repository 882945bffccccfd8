import type { ShopBackend } from '../../demo/backend-hooks.ts';
import { demoProducts, localAdmin } from '../../demo/seed.ts';
import { resourcesOfType } from '../../local/cloudformation/template.ts';
import { login, secretOf } from '../backend.ts';
import { markdownTable } from '../docs.ts';
import { type DynamoDbRecorder, startDynamoDbRecorder } from '../dynamodb-recorder.ts';
import { BenchClient } from '../http-client.ts';
import {
  genericRequest,
  type JourneyContext,
  journeyRoutes,
  runJourney,
  type StepResult,
} from '../journey.ts';
import { type BenchContext, type BenchPhase, mergeResults, type PhaseResult } from '../phase.ts';
import { summarize } from '../stats.ts';
import { ms, ratio, renderTable } from '../table.ts';
import { costResult, type Outcomes, warmJourneys } from './journey-cost.ts';

interface FirstRequest {
  readonly route: string;
  readonly status: number;
  readonly clientMs: number;
  readonly initMs?: number;
  readonly cold: boolean;
}

/** A fresh backend whose functions reach DynamoDB through a proxy recording their capacity. */
async function startRecordedBackend(
  context: BenchContext,
): Promise<{ backend: ShopBackend; recorder: DynamoDbRecorder; outcomes: Outcomes }> {
  const ddb = await context.runtime.sharedDynamoDb();
  const tableResource = resourcesOfType(context.app.assembly, 'AWS::DynamoDB::Table')[0]?.resource;
  const indexes = (
    (tableResource?.Properties?.GlobalSecondaryIndexes as
      | { KeySchema: { AttributeName: string }[] }[]
      | undefined) ?? []
  ).map((index) => index.KeySchema.map((key) => key.AttributeName));
  const recorder = context.runtime.track(await startDynamoDbRecorder(ddb.endpoint, indexes));
  context.progress(
    'Starting a fresh backend whose functions reach DynamoDB through a capacity-recording proxy...',
  );
  const backend = await context.runtime.startBackend('bench-journey-', {
    functionEnvironment: (logicalId) => ({ AWS_ENDPOINT_URL_DYNAMODB: recorder.endpointFor(logicalId) }),
  });
  const outcomes: Outcomes = new Map();
  for (const [logicalId, fn] of backend.functions) {
    fn.observe((outcome) => outcomes.set(logicalId, [...(outcomes.get(logicalId) ?? []), outcome]));
  }
  return { backend, recorder, outcomes };
}

/** One journey over every route on the fresh backend, then one request per route it missed. */
async function measureFirstRequests(
  context: BenchContext,
  client: BenchClient,
  journey: JourneyContext,
  outcomes: Outcomes,
): Promise<FirstRequest[]> {
  context.progress('First request per route: one journey over every route on the fresh backend...');
  const first: FirstRequest[] = [];
  const seen = new Set<string>();
  const record = (route: string, status: number, clientMs: number) => {
    if (seen.has(route)) return;
    seen.add(route);
    const logicalId = context.app.functionOfRoute.get(route);
    const last = logicalId ? outcomes.get(logicalId)?.at(-1) : undefined;
    first.push({ route, status, clientMs, initMs: last?.initMs, cold: last?.coldStart ?? false });
  };
  await runJourney(client, journey, {
    strict: true,
    onStep: (step: StepResult) => record(step.route, step.status, step.ms),
  });
  const covered = journeyRoutes(journey);
  const uncovered = context.app.api.routes.filter((route) => !covered.has(route.routeKey));
  if (uncovered.length > 0) {
    context.progress(`${uncovered.length} routes the journey does not know; one generic request each...`);
    const admin = await login(client, journey.admin);
    for (const route of uncovered) {
      const res = await client.request(genericRequest(route, { user: admin, admin }));
      record(route.routeKey, res.status, res.ms);
    }
  }
  return first;
}

/** Prints the first requests against the floor's cold import; their section, report and goal. */
function firstRequestsResult(context: BenchContext, first: readonly FirstRequest[]): PhaseResult {
  const { print } = context;
  const floorMs = context.findings.cold?.plainFloorImport.p50;
  print('First request per route through the local API (its function cold: worker start, init, invoke)');
  const firstRows = first.map((f) => [
    f.route,
    String(f.status),
    f.cold ? 'yes' : 'no (started earlier)',
    ms(f.initMs ?? Number.NaN),
    ms(f.clientMs),
    floorMs ? ratio(f.clientMs, floorMs) : '-',
  ]);
  const firstHeaders = ['route', 'status', 'cold', 'init ms', 'first request ms', 'x floor cold import'];
  print(
    renderTable(
      firstHeaders.map((header, i) => ({ header, align: i >= 3 ? 'right' : 'left' })),
      firstRows,
    ),
  );
  print(
    '  init: the function module import inside the execution environment; first request: client side, all of it.',
  );
  print(
    '  The floor is the GetItem floor cold import (phase cold); a first request adds the worker thread, the',
  );
  print('  invocation and its DynamoDB calls, which the import alone does not have.');
  print();
  const firstMedian = summarize(first.filter((f) => f.cold).map((f) => f.clientMs)).p50;
  return {
    report: { firstRequests: first },
    sections: { 'first-requests': markdownTable(firstHeaders, firstRows, [3, 4, 5]) },
    goals: [
      {
        goal: 'First request per route through the local API (report against the floor cold import)',
        target: 'reported',
        measured: `median ${ms(firstMedian)} ms${floorMs ? ` = ${ratio(firstMedian, floorMs)} the floor's cold import` : ''}`,
        met: undefined,
      },
    ],
  };
}

/**
 * The first request per route through the local API (its function cold), then warm journeys
 * over every route: durations, DynamoDB requests and capacity, into the cost model and the
 * memory tuning.
 */
async function runJourneyPhase(context: BenchContext): Promise<PhaseResult> {
  const { backend, recorder, outcomes } = await startRecordedBackend(context);
  const client = new BenchClient(backend.url);
  const journey: JourneyContext = {
    admin: backend.seeded?.admin ?? localAdmin(),
    productId: demoProducts()[0]?.id ?? '',
    webhookSecret: await secretOf(backend, 'PAYMENT_WEBHOOK_SECRET_ARN'),
  };
  const first = firstRequestsResult(context, await measureFirstRequests(context, client, journey, outcomes));
  const { usage, failed } = await warmJourneys(context, backend, client, journey, recorder, outcomes);
  const cost = costResult(context, usage, failed);
  client.close();
  await context.runtime.stopBackend(backend);
  return mergeResults(first, cost);
}

export const journeyPhase: BenchPhase = {
  name: 'journey',
  describe: 'first request per route (cold functions), then warm journeys: cost model and memory tuning',
  run: runJourneyPhase,
};
