import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { LOAD_STRIPE_KEY_ARN, loadTargetOf, stripeEnvironment } from '../../lib/load/target.ts';
import { formatSummary, type LoadResult, runLoad } from '../../lib/load/workload.ts';
import { FAKE_STRIPE_KEY, type FakeStripe, startFakeStripe } from '../support/fake-stripe.ts';
import { startTestBackend } from '../support/local-api.ts';

// The short, seeded version of `npm run load`: the same workload and invariants, not the speed.
const SECONDS = 8;

describe('npm run load, short (local API, fake Stripe)', () => {
  let stripe: FakeStripe;
  let backend: ShopBackend;
  let result: LoadResult;

  beforeAll(async () => {
    stripe = await startFakeStripe();
    backend = await startTestBackend(stripeEnvironment(stripe.url));
    backend.putSecret(LOAD_STRIPE_KEY_ARN, FAKE_STRIPE_KEY);
    result = await runLoad(await loadTargetOf(backend), {
      durationSeconds: SECONDS,
      seed: 42,
      users: 6,
      // Little stock, so that even a slow run has orders compete for the last units.
      products: 2,
      stockPerProduct: 3,
    });
    console.log(formatSummary(result));
  }, 180_000);

  afterAll(async () => {
    await backend?.stop();
    await stripe?.stop();
  });

  it('mixes browsing, orders, payments and messages', () => {
    const kinds = Object.keys(result.kinds);
    expect(kinds.some((kind) => kind.startsWith('browse:'))).toBe(true);
    expect(kinds).toEqual(expect.arrayContaining(['order', 'pay', 'message']));
  });

  it.each(['no 5xx', 'no stock oversold', 'no lost message'])('holds the invariant: %s', (name) => {
    const invariant = result.invariants.find((inv) => inv.name === name);
    expect(invariant?.ok, invariant?.detail).toBe(true);
  });

  it('really contends for stock: some orders are refused with 409', () => {
    expect(result.kinds.order?.statuses['409'] ?? 0).toBeGreaterThan(0);
  });
});
