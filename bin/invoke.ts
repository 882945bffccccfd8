// `npm run invoke -- <function> [--event <file>] [--dynamodb <endpoint>]`: runs one function
// once with an event, like `sam local invoke`, and prints its result. `-- --help` says more.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readCommandLine } from '../lib/cli/command-line.ts';

const { positionals, values } = readCommandLine({
  command: 'npm run invoke',
  summary: 'Runs one function once with an event, like `sam local invoke`, and prints its result.',
  positionals: {
    usage: '<function>',
    describe:
      'a function id (CatalogGetProduct), a route key ("GET /products/{productId}") or a handler file name (get-product)',
  },
  options: {
    event: {
      type: 'string',
      placeholder: '<file>',
      describe: 'an API Gateway v2 event file; default events/<FunctionId>.json',
    },
    dynamodb: {
      type: 'string',
      placeholder: '<endpoint>',
      describe:
        'a running DynamoDB (the one npm start prints) instead of a fresh, seeded in-memory DynamoDB Local',
    },
  },
  notes: ['Logs and a REPORT line go to stderr, the result to stdout. Exit code 1 when the function failed.'],
});
// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { DEFAULT_ROUTE, ROUTES, routeKey } = await import('../lib/api/routes.ts');
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');
const { shopBackendOptions } = await import('../lib/demo/backend-hooks.ts');
const { startLocalBackend } = await import('../lib/local/backend.ts');
const { synthesize } = await import('../lib/synth.ts');
const entries = [
  ...ROUTES.map((r) => ({ id: r.id, key: routeKey(r), entry: r.entry })),
  { id: DEFAULT_ROUTE.id, key: '$default', entry: DEFAULT_ROUTE.entry },
];
const wanted = positionals.join(' ').trim();
const match = entries.find(
  (e) => e.id === wanted || e.key === wanted || path.basename(e.entry, '.ts') === wanted,
);
if (!match) {
  console.error(`Usage: npm run invoke -- <function> [--event <file>] [--dynamodb <endpoint>]\n`);
  console.error(wanted ? `No function "${wanted}". Known functions:` : 'Known functions:');
  for (const e of entries) console.error(`  ${e.id.padEnd(24)} ${e.key}`);
  process.exit(2);
}
const { id } = match;
const eventFile = values.event ?? path.join(PROJECT_ROOT, 'events', `${id}.json`);
let event: unknown;
try {
  event = JSON.parse(readFileSync(eventFile, 'utf8'));
} catch (error) {
  console.error(`Cannot read the event file ${eventFile}: ${error instanceof Error ? error.message : error}`);
  process.exit(2);
}

const log = (line: string) => console.error(line);
log(`• Synthesizing the local environment...`);
const { outdir } = synthesize('local', path.join(PROJECT_ROOT, '.local', 'cdk.out'), { reuse: true });
log(
  values.dynamodb
    ? `• Using DynamoDB at ${values.dynamodb}`
    : '• Starting an in-memory DynamoDB Local with the demo catalog...',
);
const backend = await startLocalBackend({
  assemblyDir: outdir,
  port: 0,
  dynamodbEndpoint: values.dynamodb,
  ...shopBackendOptions(values.dynamodb ? false : {}),
  log,
});
let exitCode = 0;
try {
  const fn = [...backend.functions.values()].find((f) => f.spec.logicalId.startsWith(`${id}Function`));
  if (!fn) throw new Error(`The synthesized template has no function for ${id}.`);
  log(`• Invoking ${fn.spec.functionName} with ${path.relative(process.cwd(), eventFile)}`);
  const outcome = await fn.invoke(event);
  log(
    `REPORT RequestId: ${outcome.requestId} Duration: ${outcome.durationMs.toFixed(1)} ms` +
      (outcome.initMs !== undefined ? ` Init Duration: ${outcome.initMs.toFixed(1)} ms` : ''),
  );
  if (outcome.ok) {
    console.log(JSON.stringify(outcome.result, null, 2));
  } else {
    console.log(JSON.stringify(outcome.error, null, 2));
    exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await backend.stop();
}
process.exit(exitCode);
