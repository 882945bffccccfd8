// `npm run invoke -- <function> [--event <file>] [--dynamodb <endpoint>]`: runs one function
// once with an event, like `sam local invoke`, and prints its result.
//   <function>  a function id (CatalogGetProduct), a route key ("GET /products/{productId}"),
//               or a handler file name (get-product)
//   --event     an API Gateway v2 event file; default events/<FunctionId>.json
//   --dynamodb  use a running DynamoDB (e.g. the one `npm start` prints) instead of a fresh,
//               seeded in-memory DynamoDB Local
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ROUTE, ROUTES, routeKey } from '../lib/api/routes.ts';
import { PROJECT_ROOT } from '../lib/constructs/endpoint-function.ts';
import { shopBackendOptions } from '../lib/demo/backend-hooks.ts';
import { startLocalBackend } from '../lib/local/backend.ts';
import { synthesize } from '../lib/synth.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { event: { type: 'string' }, dynamodb: { type: 'string' } },
});
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
