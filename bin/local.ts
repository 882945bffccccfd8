// `npm start`: the whole backend on this machine, no AWS account, no Docker. `npm start -- --help`
// lists the options and variables (lib/start/command.ts). The command line, the settings and the
// ports are checked first, before anything slow starts; then the synthesis, DynamoDB Local, the
// seeding and the APIs. While it runs, .local/runtime.json says where everything is.
import path from 'node:path';
import { readCommandLine } from '../lib/cli/command-line.ts';
import type { ShopBackend } from '../lib/demo/backend-hooks.ts';
import type { StartAhead } from '../lib/start/ahead.ts';
import { START_COMMAND } from '../lib/start/command.ts';
import { assertPortsFree, StartSettingsError, startSettings } from '../lib/start/settings.ts';

const { values } = readCommandLine(START_COMMAND);
const json = values['log-format'] === 'json';
/** Progress lines: JSON objects on stdout with --log-format json (every stdout line parses), else text. */
const step = (text: string) =>
  console.log(
    json
      ? JSON.stringify({
          timestamp: new Date().toISOString(),
          level: 'INFO',
          source: 'npm start',
          message: text,
        })
      : `• ${text}`,
  );

let settings: ReturnType<typeof startSettings>;
try {
  settings = startSettings(process.env, values.host);
  await assertPortsFree(settings);
} catch (error) {
  if (!(error instanceof StartSettingsError)) throw error;
  console.error(error.message);
  process.exit(2);
}

// Loaded once the command line and the ports are known to be fine: --help and a taken port answer at once.
const { rmSync } = await import('node:fs');
// Not from lib/constructs: that loads CDK, which a restart on an unchanged tree never needs.
const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');
const { shopBackendOptions } = await import('../lib/demo/backend-hooks.ts');
const { DEMO_CUSTOMER_PASSWORD, localAdmin } = await import('../lib/demo/seed.ts');
const { startLocalBackend } = await import('../lib/local/backend.ts');
const { readyRecord, readyText } = await import('../lib/start/banner.ts');
const { localStateDir, removeRuntimeInfo, writeRuntimeInfo } = await import('../lib/start/runtime-file.ts');
const { reusableSynthesis } = await import('../lib/synth-sources.ts');
const { startDynamoDbLocal } = await import('../lib/local/dynamodb/launcher.ts');
const { freePort } = await import('../lib/local/net.ts');
const { startAhead } = await import('../lib/start/ahead.ts');
const { synthesizeInChild } = await import('../lib/start/synthesis.ts');

/** What npm start seeds into a new table: the demo order history and pictures too. */
const SEED = { orderHistory: true, images: true } as const;

// Since the process started: Node's own boot and every module loaded so far (CDK's included).
const startupMs: Record<string, number> = { modules: Math.round(performance.now()) };
const localDir = localStateDir(PROJECT_ROOT);
const dataDir = values['in-memory'] ? undefined : path.join(localDir, 'data');
if (values.reset) rmSync(path.join(localDir, 'data'), { recursive: true, force: true });
const started = Date.now();

// Signals are handled from the first moment: a Ctrl+C during startup must not orphan Java.
// Before the backend exists, exiting is enough (the DynamoDB launcher kills its child on
// process exit); afterwards everything is stopped in order.
let backend: ShopBackend | undefined;
let ahead: StartAhead | undefined;
/** The synthesis in its child process, while it runs, and how to stop it. */
let synthesis: { done: Promise<unknown>; stop: AbortController } | undefined;
let watch: { close(): Promise<void> } | undefined;
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  step(`${signal}: stopping the API, functions and DynamoDB Local...`);
  removeRuntimeInfo(localDir);
  synthesis?.stop.abort();
  await synthesis?.done.catch(() => undefined);
  await watch?.close();
  if (backend) await backend.stop();
  // Stopped before it was ready: a table created for this start goes, so the next one seeds afresh.
  else await ahead?.discard();
  step('Stopped.');
  process.exit(backend ? 0 : 130);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  let outdir = path.join(localDir, 'cdk.out');
  let dynamodbStarted: ReturnType<typeof startDynamoDbLocal> | undefined;
  const synthStarted = performance.now();
  if (values.assembly !== undefined) {
    outdir = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.assembly);
    step(`Serving the synthesized app in ${outdir}`);
  } else if (reusableSynthesis('local', outdir)) {
    step('Sources unchanged since the last synthesis: reusing .local/cdk.out');
  } else {
    // The synthesis runs in a child process (it is synchronous: CDK, then esbuild). Meanwhile
    // Java boots, and the table is created from its definition and seeded with what needs the
    // table only (lib/start/ahead.ts); the template is checked against that table afterwards.
    const dynamodbPort = settings.dynamodbPort || (await freePort());
    dynamodbStarted = startDynamoDbLocal({
      port: dynamodbPort,
      dbPath: dataDir ? path.join(dataDir, 'dynamodb') : undefined,
    });
    dynamodbStarted.catch(() => undefined);
    ahead = startAhead({ dynamodbEndpoint: dynamodbStarted.then(({ endpoint }) => endpoint), seed: SEED });
    step('Synthesizing the local environment (same bundles as a deploy) while the demo data is written...');
    const stop = new AbortController();
    synthesis = { done: synthesizeInChild('local', outdir, { reuse: true, signal: stop.signal }), stop };
    await synthesis.done;
    synthesis = undefined;
  }
  startupMs.synthesis = Math.round(performance.now() - synthStarted);
  step('Starting DynamoDB Local and the API...');
  backend = await startLocalBackend({
    assemblyDir: outdir,
    port: settings.port,
    webSocketPort: settings.webSocketPort,
    host: settings.host,
    extraCorsOrigins: settings.extraCorsOrigins,
    sqsPort: settings.sqsPort,
    s3Port: settings.s3Port,
    sesPort: settings.sesPort,
    dynamodbPort: settings.dynamodbPort,
    dynamodbStarted,
    tablesAhead: await ahead?.tables,
    secretsPort: settings.secretsPort,
    dataDir,
    ...shopBackendOptions({ ...SEED, ahead: ahead?.seed }),
    logFormat: values['log-format'] === 'json' ? 'json' : 'pretty',
  });
  for (const table of backend.tables) {
    step(`Table ${table.name}: ${table.created ? 'created from the template' : 'kept from the last run'}`);
  }
  if (backend.seeded) {
    step(`Seeded ${backend.seeded.products} demo products in ${backend.seeded.categories} categories`);
  }
  if (backend.seeded?.images) {
    step(
      `Uploaded pictures of ${backend.seeded.images} demo products to the local S3 (processed in the background)`,
    );
  }
  const history = backend.seeded?.history;
  if (history) {
    step(
      `Seeded ${history.orders} paid orders of ${history.customers.length} demo customers ` +
        `(${history.customers.join(', ')} / ${DEMO_CUSTOMER_PASSWORD}) and the recommendations built from them`,
    );
  }
  if (settings.extraCorsOrigins.length) {
    step(`CORS also allows (LOCAL_CORS_ORIGINS): ${settings.extraCorsOrigins.join(', ')}`);
  }
  // Only ever the local environment: this runtime serves nothing else.
  const admin = backend.seeded?.admin ?? localAdmin();
  step(
    `Admin account: ${admin.email} / ${admin.password}` +
      (backend.seeded ? '' : ' (seeded on the first run; LOCAL_ADMIN_* apply to a fresh --reset)'),
  );
  writeRuntimeInfo(localDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    apiUrl: backend.url,
    webSocketUrl: backend.webSocketUrl,
    dynamodbEndpoint: backend.dynamodbEndpoint,
    secretsEndpoint: backend.secretsEndpoint,
    sqsEndpoint: backend.sqs.endpoint,
    s3Endpoint: backend.s3.endpoint,
    assemblyDir: outdir,
  });
  const watchStarted = performance.now();
  if (!values['no-watch']) {
    const { startShopWatch } = await import('../lib/start/watch.ts');
    watch = startShopWatch({
      backend,
      assemblyDir: outdir,
      projectRoot: PROJECT_ROOT,
      localDir,
      synthesize: values.assembly === undefined,
      log: (line, event) =>
        event.kind === 'error' ? console.error(`↻ ${line}`) : event.kind !== 'unused' && step(`↻ ${line}`),
    });
    step('Watching functions/, lib/api/ and lib/config/: a saved change is served at once (--no-watch: off)');
  }
  startupMs.watch = Math.round(performance.now() - watchStarted);
  const facts = {
    backend,
    settings,
    admin,
    dataDir,
    seconds: (Date.now() - started) / 1000,
    startupMs: { ...startupMs, ...ahead?.startupMs },
  };
  console.log(json ? JSON.stringify(readyRecord(facts)) : readyText(facts));
} catch (error) {
  // Unless a Ctrl+C stopped the start (its shutdown stops what started, and exits).
  if (!stopping) {
    console.error(
      `\nCould not start the local backend:\n${error instanceof Error ? error.message : String(error)}`,
    );
    removeRuntimeInfo(localDir);
    await backend?.stop();
    if (!backend) await ahead?.discard();
    process.exit(1);
  }
}
