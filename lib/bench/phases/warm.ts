import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShopBackend } from '../../demo/backend-hooks.ts';
import { demoProducts } from '../../demo/seed.ts';
import { BenchClient, type BenchRequest } from '../http-client.ts';
import { type BenchContext, type BenchPhase, mergeResults, type PhaseResult } from '../phase.ts';
import { summarize } from '../stats.ts';
import { ms } from '../table.ts';
import { warmLatency } from './warm-latency.ts';
import { warmThroughput } from './warm-throughput.ts';

/** The backend the warm phase measures, with what its parts share. */
export interface WarmSetup {
  readonly backend: ShopBackend;
  readonly client: BenchClient;
  /** Products of the seeded catalog. */
  readonly ids: readonly string[];
  /** A registered user's authorization header. */
  readonly auth: { readonly authorization: string };
  /** A registered user's id. */
  readonly userId: string;
  /** The backend's table, read directly by the floors. */
  readonly table: string;
  readonly documents: DynamoDBDocumentClient;
}

async function setUp(context: BenchContext): Promise<WarmSetup> {
  context.progress('Starting a fresh backend for the burst, latency and throughput...');
  const backend = await context.runtime.startBackend('bench-warm-');
  const client = new BenchClient(backend.url);
  // A user to read /me as (registering warms only the register function).
  const email = `bench-${Date.now()}@example.com`;
  const registered = await client.request({
    method: 'POST',
    path: '/auth/register',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench password one', displayName: 'Bench' }),
  });
  if (registered.status !== 201)
    throw new Error(`Registering answered ${registered.status}: ${registered.body}`);
  const session = JSON.parse(registered.body) as { accessToken: string; user: { id: string } };
  return {
    backend,
    client,
    ids: demoProducts().map((p) => p.id),
    auth: { authorization: `Bearer ${session.accessToken}` },
    userId: session.user.id,
    table: backend.tables[0]?.name ?? '',
    // Warm latency and throughput compare with GetItem from Node to the same DynamoDB Local.
    documents: DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: backend.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      }),
    ),
  };
}

/** 50 parallel first requests spread over 10 cold functions. */
async function burst(context: BenchContext, setup: WarmSetup): Promise<PhaseResult> {
  const { client, ids, auth } = setup;
  const burstRoutes: BenchRequest[] = [
    { path: '/health' },
    { path: '/openapi.json' },
    { path: '/.well-known/openid-configuration' },
    { path: '/.well-known/jwks.json' },
    { path: '/products?limit=5' },
    { path: `/products/${ids[0]}` },
    { path: `/users/${setup.userId}` },
    { path: '/me', headers: auth },
    { path: '/me/preferences', headers: auth },
    { path: '/orders', headers: auth },
  ];
  context.progress('Burst: 50 parallel first requests over 10 cold functions...');
  const burstStarted = performance.now();
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => client.request(burstRoutes[i % burstRoutes.length] as BenchRequest)),
  );
  const burstMs = performance.now() - burstStarted;
  const statuses: Record<string, number> = {};
  for (const res of answers) statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  const environments = [...setup.backend.functions.values()].reduce((sum, fn) => sum + fn.instanceCount, 0);
  const burstSummary = summarize(answers.map((r) => r.ms));
  const counts = (times: string) =>
    Object.entries(statuses)
      .map(([s, n]) => `${n} ${times} ${s}`)
      .join(', ');
  context.print(
    `Burst of cold starts: 50 parallel first requests over 10 functions -> ${counts('x')} in ${ms(burstMs)} ms (p50 ${ms(burstSummary.p50)} ms, max ${ms(burstSummary.max)} ms); ${environments} environments running`,
  );
  context.print();
  return {
    report: { burst: { statuses, wallMs: burstMs, latency: burstSummary, environments } },
    sections: {
      burst: `50 parallel first requests over 10 cold functions: ${counts('×')}, all answered within ${ms(burstMs)} ms (p50 ${ms(burstSummary.p50)} ms); ${environments} execution environments were started.`,
    },
    goals: [
      {
        goal: '50 parallel first requests over 10 cold functions all succeed',
        target: '50 x 200',
        measured: counts('x'),
        met: statuses['200'] === 50,
      },
    ],
  };
}

/**
 * A burst of 50 parallel first requests over 10 cold functions; warm latency against a bare
 * GetItem round trip (and where a warm request spends its time); throughput with autocannon at
 * each concurrency against the same GetItem from this process.
 */
async function runWarm(context: BenchContext): Promise<PhaseResult> {
  const setup = await setUp(context);
  const burstResult = await burst(context, setup);
  const latency = await warmLatency(context, setup);
  const throughput = await warmThroughput(context, setup);
  setup.documents.destroy();
  setup.client.close();
  await context.runtime.stopBackend(setup.backend);
  return mergeResults(burstResult, latency, throughput);
}

export const warmPhase: BenchPhase = {
  name: 'warm',
  describe: '50 parallel first requests over 10 cold functions; warm latency against GetItem; throughput',
  run: runWarm,
};
