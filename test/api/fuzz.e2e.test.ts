import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { describeFailure, describeReport, type FuzzReport, fuzz } from '../../lib/fuzz/runner.ts';
import { startTestBackend } from '../support/local-api.ts';

/** A fixed seed: the same requests on every run; `npm run fuzz -- --seed 20261203 --only <i>` replays one. */
const SEED = 20261203;
/** Ten requests per operation: a smoke run of `npm run fuzz` (10,000 and more). */
const RUNS = 430;
// Two at a time: the suite's other files share the CPUs, and scrypt-bound routes (register,
// login, password) queued behind each other can pass their 10 s timeout on a starved machine.

describe('fuzzing every operation of /openapi.json through the local API (seeded)', () => {
  let backend: ShopBackend;
  let report: FuzzReport;

  beforeAll(async () => {
    backend = await startTestBackend();
    const admin = backend.seeded?.admin;
    if (!admin) throw new Error('The test backend seeds an admin.');
    report = await fuzz({ baseUrl: backend.url, admin, runs: RUNS, seed: SEED, concurrency: 2 });
    console.log(describeReport(report));
  }, 240_000);

  afterAll(async () => {
    await backend?.stop();
  });

  it('sends every request and reaches every operation of the document', () => {
    expect(report.requests).toBe(RUNS);
    expect(Object.keys(report.perOperation)).toHaveLength(report.operations);
  });

  it('gets past the authorizer and validation: some requests of protected operations succeed', () => {
    const succeeded = Object.entries(report.perOperation).filter(([, { statuses }]) =>
      Object.keys(statuses).some((status) => Number(status) < 300),
    );
    expect(succeeded.length).toBeGreaterThan(report.operations / 2);
  });

  it('never answers 5xx, and answers every request as the document says', () => {
    expect(report.failures.map(describeFailure).join('\n\n')).toBe('');
  });
});
