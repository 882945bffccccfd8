// `npm run load`: a mixed workload on the local runtime, with its invariants checked at the end.
// It synthesizes the local app (reusing .local/cdk.out when the sources are unchanged), starts
// its own backend in a child process (own DynamoDB Local, table and fake Stripe), loads it, and
// exits non-zero when an invariant fails. `npm run load -- --help` lists the options.
import path from 'node:path';
import { readCommandLine } from '../lib/cli/command-line.ts';

const { values } = readCommandLine({
  command: 'npm run load',
  summary:
    'A mixed workload (browse, register, order, pay, cancel, message, reset passwords) on a backend of its ' +
    'own in a child process; exits 1 when an invariant fails: a 5xx, stock oversold, a message lost, a ' +
    'password reset not completed, memory growing.',
  options: {
    duration: { type: 'integer', placeholder: 'S', min: 1, default: 60, describe: 'seconds of load' },
    seed: { type: 'integer', placeholder: 'N', min: 0, default: 1, describe: 'seed of the workload' },
    users: { type: 'integer', placeholder: 'N', min: 3, default: 8, describe: 'virtual users' },
    products: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      default: 8,
      describe: 'products with small stock',
    },
    stock: { type: 'integer', placeholder: 'N', min: 1, default: 60, describe: 'stock per product' },
    tick: {
      type: 'integer',
      placeholder: 'S',
      min: 1,
      default: 5,
      describe: 'seconds between progress lines',
    },
  },
  notes: ["LOAD_LOG=1 prints the backend's log lines (to debug a failing run). Not part of `npm test`."],
});
const durationSeconds = values.duration;
const options = {
  durationSeconds,
  seed: values.seed,
  users: values.users,
  products: values.products,
  stockPerProduct: values.stock,
  tickSeconds: values.tick,
};

// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { fork } = await import('node:child_process');
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');
const { dynamoDbLocalPid, memoryVerdict, rssMiB } = await import('../lib/load/memory.ts');
const { formatSummary, runLoad } = await import('../lib/load/workload.ts');
const { synthesize } = await import('../lib/synth.ts');
const { FAKE_STRIPE_KEY, startFakeStripe } = await import('../test/support/fake-stripe.ts');
type LoadTarget = import('../lib/load/workload.ts').LoadTarget;
type MemorySeries = import('../lib/load/memory.ts').MemorySeries;

const step = (text: string) => console.log(`• ${text}`);
step('Synthesizing the local environment...');
const { outdir } = synthesize('local', path.join(PROJECT_ROOT, '.local', 'cdk.out'), { reuse: true });
const stripe = await startFakeStripe();
step('Starting the backend (its own DynamoDB Local and table) in a child process...');
const child = fork(path.join(PROJECT_ROOT, 'lib/load/serve.ts'), [outdir, stripe.url, FAKE_STRIPE_KEY], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const stopAll = async () => {
  child.kill('SIGTERM');
  await new Promise((resolve) =>
    child.exitCode === null ? child.once('exit', resolve) : resolve(undefined),
  );
  await stripe.stop();
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

const { target, dynamodbEndpoint } = await new Promise<{ target: LoadTarget; dynamodbEndpoint: string }>(
  (resolve, reject) => {
    child.once('message', (message) => resolve(message as { target: LoadTarget; dynamodbEndpoint: string }));
    child.once('exit', (code) =>
      reject(new Error(`The backend process exited (${code}) before it was ready.`)),
    );
  },
);
const javaPid = dynamoDbLocalPid(Number(new URL(dynamodbEndpoint).port));
const series: MemorySeries[] = [
  { name: 'emulator (node)', pid: child.pid, samples: [] },
  { name: 'DynamoDB Local (java)', pid: javaPid, samples: [] },
];
// Execution environments of the emulator's functions, as last reported by the child.
let environments = 0;
const environmentSamples: { atSeconds: number; count: number }[] = [];
child.on('message', (message) => {
  const count = (message as { environments?: number }).environments;
  if (typeof count === 'number') environments = count;
});
const sample = (atSeconds: number) => {
  for (const s of series) {
    const mib = s.pid === undefined ? undefined : rssMiB(s.pid);
    if (mib !== undefined) s.samples.push({ atSeconds, mib });
  }
  environmentSamples.push({ atSeconds, count: environments });
  child.send('environments');
};
const rss = () =>
  `${series.map((s) => `${s.name} ${s.samples.at(-1)?.mib.toFixed(0) ?? '?'} MiB`).join(', ')}, ${environments} function environments`;

step(
  `Backend ready at ${target.url}; loading for ${durationSeconds} s (seed ${options.seed}, ${options.users} users)`,
);
let failed = true;
try {
  const result = await runLoad(target, {
    ...options,
    onTick: (p) => {
      sample(p.elapsedSeconds);
      console.log(
        `  ${p.elapsedSeconds.toFixed(0).padStart(4)} s  ${String(p.requests).padStart(6)} requests ` +
          `(${p.requestsPerSecond.toFixed(0)}/s)  5xx ${p.serverErrors}  orders ${p.ordersPlaced}  ` +
          `messages ${p.messagesAccepted}  RSS: ${rss()}`,
      );
    },
  });
  console.log(`\n${formatSummary(result)}`);
  // Warm = the function pools have stopped growing: from the first sample (at least a quarter
  // into the run) after which the execution environments stay within 10% of their final count.
  // Before that, RSS grows with every cold start, as a Lambda fleet's memory grows with its
  // concurrency; a leak is growth after it.
  const finalEnvironments = environmentSamples.at(-1)?.count ?? 0;
  const settledAt =
    environmentSamples.find((_, i) =>
      environmentSamples.slice(i).every((e) => e.count >= 0.9 * finalEnvironments),
    )?.atSeconds ?? 0;
  const warmUp = Math.max(durationSeconds / 4, settledAt);
  const verdicts = series.map((s) => memoryVerdict(s, warmUp));
  console.log(
    `Memory (RSS from /proc/<pid>/status; warm = first sample after ${warmUp.toFixed(0)} s, when the function pools stopped growing):`,
  );
  for (const v of verdicts) {
    const mib = (value: number | undefined) => (value === undefined ? '?' : `${value.toFixed(1)} MiB`);
    console.log(
      `  ${v.flat ? 'PASS' : 'FAIL'} ${v.name} (pid ${v.pid ?? '?'}): start ${mib(v.startMiB)}, warm ${mib(v.warmMiB)}, ` +
        `end ${mib(v.endMiB)}, max ${mib(v.maxMiB)}; after warm-up ${mib(v.growthAfterWarmUpMiB)} -> ${v.flat ? 'flat' : 'growing'}`,
    );
  }
  const warmEnvironments = environmentSamples.find((e) => e.atSeconds >= warmUp)?.count;
  console.log(
    `  function execution environments: warm ${warmEnvironments ?? '?'}, end ${environments}` +
      ' (each is a worker with its own heap; a cold start under concurrency adds one, as on Lambda)',
  );
  failed = result.invariants.some((inv) => !inv.ok) || verdicts.some((v) => !v.flat);
} catch (error) {
  console.error(`The load failed: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await stopAll();
}
process.exit(failed ? 1 : 0);
