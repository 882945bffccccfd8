import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Functions under test run outside Lambda: their metrics still need a namespace (deployed, the
// stack sets it per environment), or Powertools warns on every flush.
const shared = {
  testTimeout: 30_000,
  hookTimeout: 120_000,
  env: { POWERTOOLS_METRICS_NAMESPACE: 'Shop/test' },
};

// DynamoDB Local and the synthesized app (cached between runs by a hash of their sources), shared
// by the projects of a run that need them; unit needs neither, so `npm run test:unit` starts nothing.
const services = ['test/support/global-setup.ts'];

// Vitest's default is one worker per core minus one: ONE on a 2-core machine, so the whole suite
// ran file after file while most e2e and integration files wait on other processes (the
// functions' workers, DynamoDB Local, Java's start). One worker per core; more made the
// timing-sensitive e2e files (real-time delivery "within a second") flaky on a loaded 2-core
// machine. TEST_WORKERS overrides it (1 reproduces the old serial run).
const workers = Number(process.env.TEST_WORKERS) || availableParallelism();

export default defineConfig({
  test: {
    ...shared,
    maxWorkers: workers,
    // Tests sit in folders by feature (test/orders/, test/local/, ...); a file's layer is its
    // suffix: `*.unit.test.ts`, `*.integration.test.ts`, `*.e2e.test.ts`, `*.infra.test.ts`.
    // Run one project with `npx vitest run --project e2e`.
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/**/*.unit.test.ts'] } },
      {
        test: {
          ...shared,
          name: 'integration',
          globalSetup: services,
          include: ['test/**/*.integration.test.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'e2e',
          globalSetup: services,
          include: ['test/**/*.e2e.test.ts'],
          // Files of a worker run one after the other in one module graph, so the worker's
          // shared backend (sharedTestBackend in test/support/local-api.ts) outlives each file.
          isolate: false,
        },
      },
      // Each synthesis bundles every function (one esbuild build, lib/constructs/function-bundler.ts):
      // seconds, but more on a loaded 2-core machine.
      {
        test: {
          ...shared,
          testTimeout: 180_000,
          name: 'infra',
          globalSetup: services,
          include: ['test/**/*.infra.test.ts'],
        },
      },
    ],
  },
});
