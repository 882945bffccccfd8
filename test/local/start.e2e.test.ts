import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ShopBackend, shopBackendOptions } from '../../lib/demo/backend-hooks.ts';
import { DEMO_CUSTOMER_PASSWORD, DEMO_SIGN_IN_EMAIL } from '../../lib/demo/seed.ts';
import { startLocalBackend } from '../../lib/local/backend.ts';
import { startAhead } from '../../lib/start/ahead.ts';
import { call } from '../support/local-api.ts';

// `npm start` seeds more than the tests' backends do: demo customers with paid orders, and the
// recommendations built from them. This runs that seeding as bin/local.ts asks for it: all of it
// in the backend's hook (a start on a synthesis it reuses), or what needs the table only ahead,
// while the app synthesizes, in a table created from the table definition (a first start).
describe.each([
  { how: 'in the backend’s hook', ahead: false },
  { how: 'partly ahead, in a table created before the template existed', ahead: true },
])('npm start (the local backend with the demo order history), seeded $how', ({ ahead }) => {
  let backend: ShopBackend;
  let environmentBefore: NodeJS.ProcessEnv;

  beforeAll(async () => {
    environmentBefore = { ...process.env };
    const tableNamePrefix = `start-${randomUUID().slice(0, 8)}-`;
    const seed = { orderHistory: true };
    const early = ahead
      ? startAhead({ dynamodbEndpoint: Promise.resolve(inject('dynamodbEndpoint')), tableNamePrefix, seed })
      : undefined;
    backend = await startLocalBackend({
      assemblyDir: inject('assemblyDir'),
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      tableNamePrefix,
      tablesAhead: await early?.tables,
      port: 0,
      ...shopBackendOptions({ ...seed, ahead: early?.seed }),
      runSchedules: false,
      log: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
  });

  it('creates the table in this run and seeds the demo catalog', () => {
    expect(backend.tables.map((table) => table.created)).toEqual([true]);
    expect(backend.seeded).toMatchObject({ products: 60, categories: 10 });
  });

  it('seeds demo customers with paid orders', () => {
    expect(backend.seeded?.history?.customers).toHaveLength(6);
    // The first is the sign-in example of GET /docs under npm start.
    expect(backend.seeded?.history?.customers[0]).toBe(DEMO_SIGN_IN_EMAIL);
    expect(backend.seeded?.history?.orders).toBeGreaterThan(0);
  });

  it('leaves the environment of the process that seeded as it found it', () => {
    // The orders were placed under the create-order function's environment, for the seeding only.
    expect({ ...process.env }).toEqual(environmentBefore);
  });

  it('serves popular products built from the seeded orders', async () => {
    const { status, body } = await call(`${backend.url}/products/popular`);
    expect(status).toBe(200);
    expect((body.items as unknown[]).length).toBeGreaterThan(0);
  });

  it('signs in the demo customer with the seeded password', async () => {
    const { status } = await call(`${backend.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO_SIGN_IN_EMAIL, password: DEMO_CUSTOMER_PASSWORD }),
    });
    expect(status).toBe(200);
  });
});
