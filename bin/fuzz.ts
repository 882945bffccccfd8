// `npm run fuzz`: starts the local backend (its own DynamoDB Local, in memory), reads its
// /openapi.json and sends generated requests over every operation; see lib/fuzz/.
// `npm run fuzz -- --help` lists the options; --url fuzzes another backend, and wants --yes.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exitWithUsage, readCommandLine } from '../lib/cli/command-line.ts';
import type { ShopBackend } from '../lib/demo/backend-hooks.ts';

const FUZZ_COMMAND = {
  command: 'npm run fuzz',
  summary:
    "Sends generated requests (well-shaped and hostile) to every operation of the API's OpenAPI document " +
    'and checks every answer against it; by default against a backend of its own (in-memory DynamoDB Local).',
  options: {
    runs: { type: 'integer', placeholder: 'N', min: 1, default: 10_000, describe: 'requests to send' },
    seed: {
      type: 'integer',
      placeholder: 'N',
      min: 0,
      describe: 'the seed (printed; default: from the clock)',
    },
    concurrency: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: 64,
      default: 2,
      describe: 'requests at once',
    },
    only: { type: 'integer', placeholder: 'N', min: 0, describe: 'replay request #N of the seed alone' },
    url: {
      type: 'string',
      placeholder: '<url>',
      describe: 'fuzz a running backend instead (writes and deletes data there: needs --yes)',
    },
    yes: { type: 'boolean', describe: 'confirm fuzzing --url, whose data it changes' },
    'max-failures': {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      default: 50,
      describe: 'stop after this many failures',
    },
    log: { type: 'boolean', describe: "print its own backend's log lines" },
  },
  notes: [
    'Exit code 1 when any request failed the oracle (each failure prints how to reproduce it), 2 when it could not run.',
    'Examples: npm run fuzz -- --runs 20000 --seed 7 --concurrency 4; npm run fuzz -- --seed 7 --only 1234',
  ],
} as const;
const { values } = readCommandLine(FUZZ_COMMAND);
if (values.url !== undefined && !values.yes) {
  exitWithUsage(
    FUZZ_COMMAND,
    `--url ${values.url} is not the fuzzer's own backend: the fuzzer registers accounts, places, pays and ` +
      'cancels orders, sends messages and deletes products and accounts there. Add --yes if that is what you want.',
  );
}
const seed = values.seed ?? Date.now() % 2 ** 31;
const { runs, concurrency, only } = values;

// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');
const { shopBackendOptions } = await import('../lib/demo/backend-hooks.ts');
const { localAdmin } = await import('../lib/demo/seed.ts');
const { curlCommand, describeFailure, describeReport, fuzz } = await import('../lib/fuzz/runner.ts');
const { startLocalBackend } = await import('../lib/local/backend.ts');
const { synthesize } = await import('../lib/synth.ts');

let backend: ShopBackend | undefined;
const stop = async () => {
  await backend?.stop();
};
process.on('SIGINT', () => void stop().then(() => process.exit(130)));

try {
  let baseUrl = values.url;
  let admin = localAdmin();
  const started = Date.now();
  if (!baseUrl) {
    console.log('• Synthesizing the local environment...');
    const { outdir } = synthesize('local', path.join(PROJECT_ROOT, '.local', 'cdk.out'), { reuse: true });
    console.log('• Starting the local backend (its own DynamoDB Local, in memory)...');
    // Function logs are kept quiet (thousands of rejected requests); --log shows them.
    backend = await startLocalBackend({
      assemblyDir: outdir,
      tableNamePrefix: 'fuzz-',
      ...shopBackendOptions(),
      runSchedules: false,
      log: (line) => {
        if (values.log) console.log(line);
      },
    });
    baseUrl = backend.url;
    admin = backend.seeded?.admin ?? admin;
    console.log(`• Backend ready at ${baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(
    `• Fuzzing ${baseUrl} with ${only !== undefined ? `request #${only}` : `${runs} requests`}, seed ${seed}, concurrency ${concurrency}`,
  );
  const report = await fuzz({
    baseUrl,
    admin,
    runs,
    seed,
    concurrency,
    only,
    maxFailures: values['max-failures'],
    progress: (line) => console.log(`  ${line}`),
  });
  const failureDir = path.join(PROJECT_ROOT, '.local', 'fuzz');
  for (const failure of report.failures) {
    console.log(`\n${describeFailure(failure)}`);
    mkdirSync(failureDir, { recursive: true });
    const file = path.join(failureDir, `failure-${failure.seed}-${failure.index}.sh`);
    writeFileSync(
      file,
      `#!/bin/sh\n# ${failure.problems.join('\n# ')}\n${curlCommand(failure.url, failure.request)}\n`,
    );
    console.log(`  saved:    ${path.relative(process.cwd(), file)}`);
  }
  console.log(`\n${describeReport(report)}`);
  await stop();
  process.exit(report.failures.length > 0 ? 1 : 0);
} catch (error) {
  console.error(
    `Fuzzing could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  await stop();
  process.exit(2);
}
