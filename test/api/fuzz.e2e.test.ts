import { beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, describeReport, type FuzzReport, fuzz } from '../../lib/fuzz/runner.ts';
import { useShop } from '../support/shop.ts';

/** A fixed seed: the same requests on every run; `npm run fuzz -- --seed 20261203 --only <i>` replays one. */
const SEED = 20261203;
/** Ten requests per operation: a smoke run of `npm run fuzz` (10,000 and more). */
const RUNS = 470;
// Two at a time: the suite's other files share the CPUs, and scrypt-bound routes (register,
// login, password) queued behind each other can pass their 10 s timeout on a starved machine.

describe('fuzzing every operation of /openapi.json through the local API (seeded)', () => {
  const shop = useShop({ own: true });
  let report: FuzzReport;

  beforeAll(async () => {
    const admin = shop.backend.seeded?.admin;
    if (!admin) throw new Error('The test backend seeds an admin.');
    report = await fuzz({ baseUrl: shop.api, admin, runs: RUNS, seed: SEED, concurrency: 2 });
    console.log(describeReport(report));
  }, 240_000);

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
