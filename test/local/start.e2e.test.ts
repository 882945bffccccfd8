import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ShopBackend, shopBackendOptions } from '../../lib/demo/backend-hooks.ts';
import { DEMO_SIGN_IN_EMAIL } from '../../lib/demo/seed.ts';
import { startLocalBackend } from '../../lib/local/backend.ts';
import { call } from '../support/local-api.ts';

// `npm start` seeds more than the tests' backends do: demo customers with paid orders, and the
// recommendations built from them. This runs that seeding as bin/local.ts asks for it.
describe('npm start (the local backend with the demo order history)', () => {
  let backend: ShopBackend;
  let environmentBefore: NodeJS.ProcessEnv;

  beforeAll(async () => {
    environmentBefore = { ...process.env };
    backend = await startLocalBackend({
      assemblyDir: inject('assemblyDir'),
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      tableNamePrefix: `start-${randomUUID().slice(0, 8)}-`,
      port: 0,
      ...shopBackendOptions({ orderHistory: true }),
      runSchedules: false,
      log: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
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
});
