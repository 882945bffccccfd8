import { describe, expect, it } from 'vitest';
import type { Order } from '../../functions/orders/model.ts';
import { expectProblem } from '../support/accounts-api.ts';
import {
  entriesOf,
  intentsFor,
  newKey,
  orderOf,
  paymentEvent,
  type StripeBackend,
  signedHeaders,
  useStripeBackend,
  webhookSecret,
} from '../support/orders-api.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pays an order with a card that needs 3-D Secure; fails the test unless it awaits authentication. */
async function awaitingAuthentication(fixture: StripeBackend, order: Order): Promise<Order> {
  const res = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_threeDSecure2Required');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const waiting = orderOf(res);
  expect(waiting.status).toBe('pending_payment');
  expect(waiting.payment?.status).toBe('requires_action');
  return waiting;
}

/** Stripe's event about the order's payment, delivered signed to the webhook; fails unless 200. */
async function deliver(
  fixture: StripeBackend,
  order: Order,
  type: string,
  extra: { failureCode?: string; attempt?: number } = {},
): Promise<void> {
  const providerPaymentId = String(order.payment?.providerPaymentId);
  const event = paymentEvent(order, providerPaymentId, type, {
    attempt: order.payment?.attempt ?? 1,
    ...extra,
  });
  const secret = await webhookSecret(fixture.backend);
  const res = await fixture.orders.webhook(event.body, signedHeaders(event.body, secret));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.outcome).toBe('processed');
}

describe('3-D Secure through the stripe provider against a fake Stripe, end to end', () => {
  const fixture = useStripeBackend('stripe-sca');

  it('answers requires_action with Stripe’s client secret and redirect; the order is paid when the success webhook comes', async () => {
    const order = await fixture.pendingOrder({ stock: 5, price: 3000 });
    const key = newKey('sca');
    const res = await fixture.orders.pay(
      fixture.buyer.accessToken,
      order.id,
      'pm_card_threeDSecure2Required',
      key,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const waiting = orderOf(res);
    const [intent] = intentsFor(fixture.stripe, order.id);
    expect(waiting.payment).toMatchObject({
      attempt: 1,
      status: 'requires_action',
      providerPaymentId: intent?.id,
      clientSecret: expect.stringMatching(new RegExp(`^${intent?.id}_secret_`)),
      nextAction: {
        type: 'redirect_to_url',
        redirectToUrl: {
          url: expect.stringMatching(/^https:\/\/hooks\.stripe\.com\/3d_secure_2\//),
          returnUrl: `http://localhost:5173/checkout/complete?orderId=${order.id}`,
        },
      },
    });
    // Stripe was given the return URL the environment configures, per order.
    const sent = fixture.stripe.requests.find((request) =>
      request.headers['idempotency-key']?.includes(order.id),
    );
    expect(sent?.form.return_url).toBe(waiting.payment?.nextAction?.redirectToUrl.returnUrl);
    expect(sent?.form).not.toHaveProperty('automatic_payment_methods[allow_redirects]');
    // Until Stripe says so, nothing is paid, and a second payment is refused (it could charge twice).
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa'), 409);
    const replay = orderOf(
      await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_threeDSecure2Required', key),
    );
    expect(replay.payment).toEqual(waiting.payment);

    // The customer authenticates at the bank; Stripe settles the intent and sends its event.
    fixture.stripe.settleIntent(String(intent?.id), 'succeeded');
    await deliver(fixture, waiting, 'payment_intent.succeeded');
    const paid = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toEqual({
      attempt: 1,
      status: 'succeeded',
      paymentMethod: 'pm_card_threeDSecure2Required',
      providerPaymentId: intent?.id,
      startedAt: waiting.payment?.startedAt,
    });
    expect(intentsFor(fixture.stripe, order.id)).toHaveLength(1);
  });

  it('fails the attempt on payment_failed after a failed challenge; a normal card then pays the order', async () => {
    const order = await fixture.pendingOrder({ stock: 5, price: 1200 });
    const waiting = await awaitingAuthentication(fixture, order);
    const lastPaymentError = { type: 'card_error', code: 'payment_intent_authentication_failure' };
    fixture.stripe.settleIntent(String(waiting.payment?.providerPaymentId), 'requires_payment_method', {
      last_payment_error: lastPaymentError,
    });
    await deliver(fixture, waiting, 'payment_intent.payment_failed', {
      failureCode: 'payment_intent_authentication_failure',
    });
    const failed = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(failed.status).toBe('pending_payment');
    expect(failed.payment).toMatchObject({
      attempt: 1,
      status: 'failed',
      failureReason: 'payment_intent_authentication_failure',
    });
    expect(failed.payment).not.toHaveProperty('clientSecret');

    const retried = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa');
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(orderOf(retried)).toMatchObject({ status: 'paid', payment: { attempt: 2, status: 'succeeded' } });
    expect(intentsFor(fixture.stripe, order.id).map((entry) => [entry.idempotencyKey, entry.status])).toEqual(
      [
        [`order-${order.id}-attempt-1`, 'requires_action'],
        [`order-${order.id}-attempt-2`, 'succeeded'],
      ],
    );
  });

  it('does not pay on a success whose amount differs from the order, even after authentication', async () => {
    const order = await fixture.pendingOrder({ stock: 5, price: 900 });
    const waiting = await awaitingAuthentication(fixture, order);
    await deliver(fixture, { ...waiting, total: waiting.total - 1 }, 'payment_intent.succeeded');
    const after = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment?.status).toBe('requires_action');
  });
});

describe('an abandoned 3-D Secure challenge through the stripe provider (a payment window of 60 ms)', () => {
  const fixture = useStripeBackend('stripe-sca-abandoned', () => ({
    environment: { ORDER_PAYMENT_WINDOW_MINUTES: '0.001' },
  }));

  it('fails the attempt and expires the order when the window ends, stock back; a late success is refunded through Stripe', async () => {
    const product = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 4, price: 2000 });
    const order = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: product.id, quantity: 3 },
    ]);
    const waiting = await awaitingAuthentication(fixture, order);
    expect(await fixture.orders.stockOf(product.id)).toBe(1);
    await sleep(150);

    const runs = await fixture.backend.runSchedules();
    expect(runs.every((run) => run.ok)).toBe(true);
    const expired = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(expired.status).toBe('expired');
    expect(expired.payment).toMatchObject({
      attempt: 1,
      status: 'failed',
      failureReason: 'authentication_abandoned',
      providerPaymentId: waiting.payment?.providerPaymentId,
    });
    expect(expired.payment).not.toHaveProperty('clientSecret');
    expect(expired.payment).not.toHaveProperty('nextAction');
    expect(await fixture.orders.stockOf(product.id)).toBe(4);

    // The customer finishes at the bank after all: the money goes back, the order stays expired.
    fixture.stripe.settleIntent(String(waiting.payment?.providerPaymentId), 'succeeded');
    await deliver(fixture, waiting, 'payment_intent.succeeded');
    const late = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(late.status).toBe('expired');
    const refunds = fixture.stripe.ledger.filter(
      (entry) => entry.object === 'refund' && entry.paymentIntent === waiting.payment?.providerPaymentId,
    );
    expect(refunds).toEqual([expect.objectContaining({ amount: 6000, status: 'succeeded' })]);
    expect(entriesOf(late, 'refund_requested')).toHaveLength(1);
    expect(await fixture.orders.stockOf(product.id)).toBe(4);
  });
});
