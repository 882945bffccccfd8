import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import { expectProblem, type Session } from '../support/accounts-api.ts';
import { entriesOf, newKey, orderOf } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RETURN_URL = /^http:\/\/localhost:5173\/checkout\/complete\?orderId=/;

/** The URL the payment answer sends the customer to; fails the test unless it has one. */
function challengeUrlOf(order: Order): string {
  const url = order.payment?.nextAction?.redirectToUrl.url;
  expect(url, JSON.stringify(order.payment)).toMatch(/\/simulated-payments\/pi_sim_[0-9a-f]{24}\/challenge$/);
  return String(url);
}

describe('3-D Secure with the simulated provider, end to end (challenge page, webhook, retry)', () => {
  const shop = useShop();
  let admin: Session;
  let buyer: Session;
  let product: Product;

  beforeAll(async () => {
    [admin, buyer] = await shop.adminAnd('sca-buyer');
    product = await shop.orders.createProduct(admin.accessToken, { stock: 50, price: 2490, currency: 'EUR' });
  });

  const placed = () => shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 2 }]);

  it('answers requires_action with the client secret and a redirect to the challenge page; passing it pays the order', async () => {
    const order = await placed();
    const key = newKey('sca');
    const res = await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_threeDSecure2Required', key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const waiting = orderOf(res);
    expect(waiting.status).toBe('pending_payment');
    expect(waiting.payment).toMatchObject({
      attempt: 1,
      status: 'requires_action',
      providerPaymentId: expect.stringMatching(/^pi_sim_/),
      clientSecret: expect.stringMatching(new RegExp(`^${waiting.payment?.providerPaymentId}_secret_`)),
      nextAction: {
        type: 'redirect_to_url',
        redirectToUrl: { returnUrl: expect.stringMatching(RETURN_URL) },
      },
    });
    expect(waiting.payment?.nextAction?.redirectToUrl.returnUrl).toContain(order.id);
    // The history says what happened, never the secret.
    expect(entriesOf(waiting, 'payment_requires_action')).toHaveLength(1);
    expect(JSON.stringify(waiting.history)).not.toContain(String(waiting.payment?.clientSecret));

    // The same request again (same key) is the same answer; another payment meanwhile is refused.
    const replay = orderOf(
      await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_threeDSecure2Required', key),
    );
    expect(replay.payment).toEqual(waiting.payment);
    const other = await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_visa');
    expectProblem(other, 409);
    expect(String(other.body.detail)).toMatch(/awaits the customer’s authentication/);

    const url = challengeUrlOf(waiting);
    const page = await shop.orders.challenge(url);
    expect(page.status).toBe(200);
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).toContain('€49.80');
    expect(page.text).toContain('action="challenge?fail=1"');

    const passed = await shop.orders.challenge(url, 'pass');
    expect(passed.status).toBe(200);
    expect(passed.text).toContain('Authentication completed');
    // The provider's event reached the webhook before the page answered.
    const paid = await shop.orders.read(buyer.accessToken, order.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toEqual({
      attempt: 1,
      status: 'succeeded',
      paymentMethod: 'pm_card_threeDSecure2Required',
      providerPaymentId: waiting.payment?.providerPaymentId,
      startedAt: waiting.payment?.startedAt,
    });
    expect(entriesOf(paid, 'paid')[0]?.detail).toMatchObject({ type: 'payment_intent.succeeded' });

    // A challenge is answered once: the same answer again (a double click) changes nothing, the
    // other one is a 409, and the page says it was answered.
    const history = paid.history;
    expect((await shop.orders.challenge(url, 'pass')).status).toBe(200);
    expect((await shop.orders.challenge(url, 'fail')).status).toBe(409);
    expect((await shop.orders.challenge(url)).text).toContain('already answered');
    expect((await shop.orders.read(buyer.accessToken, order.id)).history).toEqual(history);
  });

  it('fails the attempt when the challenge is failed; the order is paid with another card', async () => {
    const order = await placed();
    const waiting = orderOf(
      await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_threeDSecure2Required'),
    );
    const failed = await shop.orders.challenge(challengeUrlOf(waiting), 'fail');
    expect(failed.status).toBe(200);
    expect(failed.text).toContain('Authentication failed');
    const after = await shop.orders.read(buyer.accessToken, order.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment).toMatchObject({
      attempt: 1,
      status: 'failed',
      failureReason: 'payment_intent_authentication_failure',
    });
    expect(after.payment).not.toHaveProperty('clientSecret');
    expect(after.payment).not.toHaveProperty('nextAction');

    const retried = orderOf(await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_visa'));
    expect(retried).toMatchObject({ status: 'paid', payment: { attempt: 2, status: 'succeeded' } });
  });

  it('declines a card after a passed challenge when the card says so (pm_card_threeDSecureRequiredChargeDeclined)', async () => {
    const order = await placed();
    const waiting = orderOf(
      await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_threeDSecureRequiredChargeDeclined'),
    );
    expect(waiting.payment?.status).toBe('requires_action');
    expect((await shop.orders.challenge(challengeUrlOf(waiting), 'pass')).status).toBe(200);
    const after = await shop.orders.read(buyer.accessToken, order.id);
    expect(after).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'failed', failureReason: 'card_declined' },
    });
  });

  it('answers a malformed payment id or answer with a 400 and a payment it holds no challenge for with a 404, as problems', async () => {
    const bad = await shop.orders.challenge(`${shop.api}/simulated-payments/pi_123/challenge`);
    expect(bad.status).toBe(400);
    expect(bad.contentType).toBe('application/problem+json');
    const unknown = `${shop.api}/simulated-payments/pi_sim_000000000000000000000000/challenge`;
    expect((await shop.orders.challenge(unknown)).status).toBe(404);
    expect((await shop.orders.challenge(unknown, 'pass')).status).toBe(404);
    const odd = await shop.orders.challenge(`${unknown}?fail=yes`, 'pass');
    expect(odd.status).toBe(400);
    expect(odd.contentType).toBe('application/problem+json');
  });
});

describe('an abandoned 3-D Secure challenge (simulated provider, a payment window of 60 ms)', () => {
  const shop = useShop({ environment: { ORDER_PAYMENT_WINDOW_MINUTES: '0.001' } });
  let admin: Session;
  let buyer: Session;

  beforeAll(async () => {
    [admin, buyer] = await shop.adminAnd('sca-abandoner');
  });

  it('fails the attempt when the window ends and returns the stock; a challenge passed after that is refunded', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 3, price: 1000 });
    const order = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 2 }]);
    const res = await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_threeDSecure2Required');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const waiting = orderOf(res);
    expect(waiting.payment?.status).toBe('requires_action');
    expect(await shop.orders.stockOf(product.id)).toBe(1);
    await sleep(150);

    const runs = await shop.backend.runSchedules();
    expect(runs.every((run) => run.ok)).toBe(true);
    const expired = await shop.orders.read(buyer.accessToken, order.id);
    expect(expired.status).toBe('expired');
    expect(expired.payment).toEqual({
      attempt: 1,
      status: 'failed',
      failureReason: 'authentication_abandoned',
      paymentMethod: 'pm_card_threeDSecure2Required',
      providerPaymentId: waiting.payment?.providerPaymentId,
      startedAt: waiting.payment?.startedAt,
    });
    expect(entriesOf(expired, 'expired')[0]?.detail).toMatchObject({ reason: 'payment window passed' });
    expect(await shop.orders.stockOf(product.id)).toBe(3);
    expectProblem(await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_visa'), 409);

    // The customer comes back to the bank's page later and passes: the money goes straight back.
    expect((await shop.orders.challenge(challengeUrlOf(waiting), 'pass')).status).toBe(200);
    const late = await shop.orders.read(buyer.accessToken, order.id);
    expect(late.status).toBe('expired');
    expect(late.payment?.refund).toMatchObject({ status: 'succeeded' });
    expect(entriesOf(late, 'refund_requested')).toHaveLength(1);
    expect(await shop.orders.stockOf(product.id)).toBe(3);
  });
});
