// `npm run fuzz`: starts the local backend (its own DynamoDB Local, in memory), reads its
// /openapi.json and sends generated requests over every operation; see lib/fuzz/.
//   npm run fuzz -- --runs 10000 --seed 42 --concurrency 2
//   npm run fuzz -- --seed 42 --only 1234        replays request #1234 of seed 42
//   npm run fuzz -- --url http://localhost:3000  fuzzes a running `npm start` instead
// Exit code 1 when any request failed the oracle; each failure prints how to reproduce it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/constructs/endpoint-function.ts';
import { type ShopBackend, shopBackendOptions } from '../lib/demo/backend-hooks.ts';
import { localAdmin } from '../lib/demo/seed.ts';
import { curlCommand, describeFailure, describeReport, fuzz } from '../lib/fuzz/runner.ts';
import { startLocalBackend } from '../lib/local/backend.ts';
import { synthesize } from '../lib/synth.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    only: { type: 'string' },
    url: { type: 'string' },
    'max-failures': { type: 'string', default: '50' },
    log: { type: 'boolean', default: false },
  },
});
const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    console.error(`--${name} must be an integer, got "${value}".`);
    process.exit(2);
  }
  return n;
};
const seed = integer('seed', values.seed) ?? Date.now() % 2 ** 31;
const runs = integer('runs', values.runs) ?? 10_000;
const concurrency = integer('concurrency', values.concurrency) ?? 2;
const only = integer('only', values.only);

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
    maxFailures: integer('max-failures', values['max-failures']),
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
