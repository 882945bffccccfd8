// `npm start`: the whole backend on this machine, no AWS account, no Docker.
//   npm start                 data kept in .local/data between runs
//   npm start -- --reset      wipe .local/data first (fresh demo catalog)
//   npm start -- --in-memory  keep nothing
//   npm start -- --log-format json   function log lines raw (default: pretty, one readable line each)
// PORT (default 3000), WS_PORT (default 3001), DYNAMODB_PORT, SECRETS_PORT and SQS_PORT (default:
// free ports) choose the ports.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/constructs/endpoint-function.ts';
import { type ShopBackend, shopBackendOptions } from '../lib/demo/backend-hooks.ts';
import { DEMO_CUSTOMER_PASSWORD, localAdmin } from '../lib/demo/seed.ts';
import { startLocalBackend } from '../lib/local/backend.ts';
import { LOG_FORMATS, type LogFormat } from '../lib/local/lambda/log-format.ts';
import { synthesize } from '../lib/synth.ts';

const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    'in-memory': { type: 'boolean', default: false },
    'log-format': { type: 'string', default: 'pretty' },
  },
});
const logFormat = values['log-format'];
if (!isLogFormat(logFormat)) {
  console.error(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}".`);
  process.exit(2);
}
const localDir = path.join(PROJECT_ROOT, '.local');
const dataDir = values['in-memory'] ? undefined : path.join(localDir, 'data');
if (values.reset) rmSync(path.join(localDir, 'data'), { recursive: true, force: true });

const step = (text: string) => console.log(`• ${text}`);
const started = Date.now();

// Signals are handled from the first moment: a Ctrl+C during startup must not orphan Java.
// Before the backend exists, exiting is enough (the DynamoDB launcher kills its child on
// process exit); afterwards everything is stopped in order.
let backend: ShopBackend | undefined;
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the API, functions and DynamoDB Local...`);
  if (backend) await backend.stop();
  console.log('Stopped.');
  process.exit(backend ? 0 : 130);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  step('Synthesizing the local environment (same bundles as a deploy)...');
  const synth = synthesize('local', path.join(localDir, 'cdk.out'), { reuse: true });
  const { outdir } = synth;
  if (!synth.synthesized) step('Sources unchanged since the last synthesis: reusing .local/cdk.out');
  step('Starting DynamoDB Local and the API...');
  backend = await startLocalBackend({
    assemblyDir: outdir,
    port: Number(process.env.PORT ?? 3000),
    webSocketPort: Number(process.env.WS_PORT ?? 3001),
    sqsPort: process.env.SQS_PORT ? Number(process.env.SQS_PORT) : undefined,
    dynamodbPort: process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : undefined,
    secretsPort: process.env.SECRETS_PORT ? Number(process.env.SECRETS_PORT) : undefined,
    dataDir,
    ...shopBackendOptions({ orderHistory: true }),
    logFormat,
  });
  for (const table of backend.tables) {
    step(`Table ${table.name}: ${table.created ? 'created from the template' : 'kept from the last run'}`);
  }
  if (backend.seeded) {
    step(`Seeded ${backend.seeded.products} demo products in ${backend.seeded.categories} categories`);
  }
  const history = backend.seeded?.history;
  if (history) {
    step(
      `Seeded ${history.orders} paid orders of ${history.customers.length} demo customers ` +
        `(${history.customers.join(', ')} / ${DEMO_CUSTOMER_PASSWORD}) and the recommendations built from them`,
    );
  }
  // Only ever the local environment: this runtime serves nothing else.
  const admin = backend.seeded?.admin ?? localAdmin();
  step(
    `Admin account: ${admin.email} / ${admin.password}` +
      (backend.seeded ? '' : ' (seeded on the first run; LOCAL_ADMIN_* apply to a fresh --reset)'),
  );
  console.log(`
Shop API (local) ready in ${((Date.now() - started) / 1000).toFixed(1)} s
  API:            ${backend.url}
  WebSocket:      ${backend.webSocketUrl ?? '(none)'}   (subprotocols: shop.v1, <access token>)
  OpenAPI:        ${backend.url}/openapi.json
  DynamoDB Local: ${backend.dynamodbEndpoint}
  Secrets (local Secrets Manager): ${backend.secretsEndpoint}
  SQS (dead-letter queues): ${backend.sqs.endpoint}
  Stream consumers: ${backend.streams.mappings.map((m) => m.functionLogicalId.replace(/ConsumerFunction.*$/, '')).join(', ') || '(none)'}
  Data:           ${dataDir ? `${path.relative(process.cwd(), dataDir)} (kept; npm start -- --reset wipes it)` : 'in memory (gone on exit)'}
  Try:            curl ${backend.url}/products?limit=3
                  curl '${backend.url}/products/popular?window=7d&limit=5'
  Sign in:        curl -s ${backend.url}/auth/login -H 'content-type: application/json' \\
                    -d '{"email":"${admin.email}","password":"${admin.password}"}'
Press Ctrl+C to stop.
`);
} catch (error) {
  console.error(
    `\nCould not start the local backend:\n${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}

function isLogFormat(value: string | undefined): value is LogFormat {
  return (LOG_FORMATS as readonly (string | undefined)[]).includes(value);
}
