// The backend under `npm run load`, in a process of its own, so the RSS the load reports is the
// emulator's alone (API, WebSocket API, every function's workers, stream consumers), not the
// load generator's. Started by bin/load.ts with fork(); answers with the target over IPC and
// stops on SIGTERM or when its parent goes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shopBackendOptions } from '../demo/backend-hooks.ts';
import { startLocalBackend } from '../local/backend.ts';
import { LOAD_STRIPE_KEY_ARN, loadTargetOf, stripeEnvironment } from './target.ts';

const [assemblyDir, stripeUrl, stripeKey] = process.argv.slice(2);
if (!assemblyDir || !stripeUrl || !stripeKey || !process.send) {
  console.error('usage: fork(lib/load/serve.ts, [assemblyDir, stripeUrl, stripeKey]) with an IPC channel');
  process.exit(2);
}
// DynamoDB Local keeps its data in a file, not in its heap: its RSS then measures the emulator.
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-load-'));
const shop = shopBackendOptions();
const backend = await startLocalBackend({
  assemblyDir,
  ...shop,
  dataDir,
  tableNamePrefix: 'shop-load-',
  environment: { ...shop.environment, ...stripeEnvironment(stripeUrl) },
  // Function logs would cost the emulator more than the work itself (errors show as 5xx);
  // LOAD_LOG=1 prints them, to debug a failing run.
  log: process.env.LOAD_LOG ? (line) => console.log(line) : () => undefined,
});
backend.putSecret(LOAD_STRIPE_KEY_ARN, stripeKey);
const stop = async () => {
  await backend.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
// How many execution environments the functions have now: RSS grows with them (a cold start
// under concurrency is a new one), which is not a leak; the parent asks at each sample.
process.on('message', (message) => {
  if (message !== 'environments') return;
  let environments = 0;
  for (const fn of backend.functions.values()) environments += fn.instanceCount;
  process.send?.({ environments });
});
process.send({ target: await loadTargetOf(backend), dynamodbEndpoint: backend.dynamodbEndpoint });
