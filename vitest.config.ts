import { defineConfig } from 'vitest/config';

// One global setup for the whole run (DynamoDB Local + one synthesized app); the projects only
// split the suites so each can be run alone: `npx vitest run --project e2e`.
// Functions under test run outside Lambda: their metrics still need a namespace (deployed, the
// stack sets it per environment), or Powertools warns on every flush.
const shared = {
  testTimeout: 30_000,
  hookTimeout: 120_000,
  env: { POWERTOOLS_METRICS_NAMESPACE: 'Shop/test' },
};

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    ...shared,
    // Tests sit in folders by feature (test/orders/, test/local/, ...); a file's layer is its
    // suffix: `*.unit.test.ts`, `*.integration.test.ts`, `*.e2e.test.ts`, `*.infra.test.ts`.
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/**/*.unit.test.ts'] } },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.integration.test.ts'],
        },
      },
      { test: { ...shared, name: 'e2e', include: ['test/**/*.e2e.test.ts'] } },
      // Each synthesis bundles every function (one esbuild build, lib/constructs/function-bundler.ts):
      // seconds, but more on a loaded 2-core machine.
      {
        test: {
          ...shared,
          testTimeout: 180_000,
          name: 'infra',
          include: ['test/**/*.infra.test.ts'],
        },
      },
    ],
  },
});
