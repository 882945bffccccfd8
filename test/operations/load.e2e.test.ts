import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { act } from '../../lib/load/actions.ts';
import { seededRandom } from '../../lib/load/random.ts';
import { Recorder } from '../../lib/load/stats.ts';
import { LOAD_STRIPE_KEY_ARN, loadTargetOf, stripeEnvironment } from '../../lib/load/target.ts';
import { formatSummary, type LoadResult, runLoad } from '../../lib/load/workload.ts';
import { accountsApi } from '../support/accounts-api.ts';
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
      // One customer whose password is reset for real (each reset hashes twice: CPU the short run needs).
      recoveryUsers: 1,
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

  it.each(['no 5xx', 'no stock oversold', 'no lost message', 'password resets complete'])(
    'holds the invariant: %s',
    (name) => {
      const invariant = result.invariants.find((inv) => inv.name === name);
      expect(invariant?.ok, invariant?.detail).toBe(true);
    },
  );

  it('really contends for stock: some orders are refused with 409', () => {
    expect(result.kinds.order?.statuses['409'] ?? 0).toBeGreaterThan(0);
  });

  it('completes password resets with the code from the local mailbox, and signs in with the new password', () => {
    expect(result.passwordResets).toEqual({ mailbox: true, completed: expect.any(Number) });
    expect(result.passwordResets.completed).toBeGreaterThan(0);
    expect(result.kinds['reset:confirm']?.statuses['204']).toBe(result.passwordResets.completed);
    expect(result.kinds['reset:login']?.statuses['200']).toBe(result.passwordResets.completed);
    // After the run: each new password signs in (200), each old one is refused (401).
    const after = result.checks['check:resets']?.statuses ?? {};
    expect(after['200']).toBeGreaterThan(0);
    expect(after['401']).toBe(result.passwordResets.completed);
  });

  it('prints no code and no address', () => {
    const summary = formatSummary(result);
    expect(summary).toContain('password resets completed');
    expect(summary).not.toMatch(/@/);
    expect(summary).not.toMatch(/(?<![0-9.])[0-9]{6}(?![0-9.])/);
  });

  it('without a mailbox (a deployed target), a reset asks for a code and tries a wrong one', async () => {
    const session = await accountsApi(backend.url).newCustomer('no-mailbox');
    const load = new Recorder();
    const user = {
      ...session.user,
      token: session.accessToken,
      conversations: [],
      payable: [],
      cancellable: [],
      sentInMinute: { minute: 0, count: 0 },
    };
    const ctx = {
      random: seededRandom(1),
      load,
      api: (path: string) => `${backend.url}${path}`,
      webhookSecret: '',
      productIds: [],
      accepted: [],
      placed: [],
      negativeStockSeen: [],
    };
    await act(ctx, user, 'resetPassword');
    expect(Object.keys(load.kinds).sort()).toEqual(['reset:request', 'reset:wrongCode']);
    expect(load.kinds['reset:request']?.statuses).toEqual({ 202: 1 });
    expect(load.kinds['reset:wrongCode']?.statuses).toEqual({ 422: 1 });
  });
});
