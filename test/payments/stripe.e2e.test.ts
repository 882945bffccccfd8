import { describe, expect, it } from 'vitest';
import { expectProblem } from '../support/accounts-api.ts';
import { FAKE_STRIPE_KEY } from '../support/fake-stripe.ts';
import {
  entriesOf,
  newKey,
  orderOf,
  paymentEvent,
  signedHeaders,
  useStripeBackend,
  webhookSecret,
} from '../support/orders-api.ts';

describe('payments through the stripe provider against a fake Stripe, end to end', () => {
  const fixture = useStripeBackend('stripe-flow');

  /** What the fake Stripe created for an order (its provider keys name the order). */
  const ledgerFor = (orderId: string) =>
    fixture.stripe.ledger.filter((entry) => entry.idempotencyKey?.includes(orderId));

  it('charges the order total in minor units once, with a per-attempt provider key, and the order is paid', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1999, currency: 'EUR' }, 3);
    const res = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(orderOf(res).status).toBe('paid');
    const charges = ledgerFor(placed.id);
    expect(charges).toEqual([
      expect.objectContaining({
        object: 'payment_intent',
        amount: 5997,
        currency: 'eur',
        status: 'succeeded',
        idempotencyKey: `order-${placed.id}-attempt-1`,
      }),
    ]);
    expect(orderOf(res).payment?.providerPaymentId).toBe(charges[0]?.id);
  });

  it('decline then retry: a 402 decline leaves the order pending with the reason; a new key makes a second intent that pays it', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 800 });
    const declined = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_chargeDeclined');
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    expect(orderOf(declined).status).toBe('pending_payment');
    expect(orderOf(declined).payment).toMatchObject({ status: 'failed', failureReason: 'generic_decline' });
    const retried = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expect(orderOf(retried).status).toBe('paid');
    expect(ledgerFor(placed.id).map((e) => [e.idempotencyKey, e.status])).toEqual([
      [`order-${placed.id}-attempt-1`, 'requires_payment_method'],
      [`order-${placed.id}-attempt-2`, 'succeeded'],
    ]);
  });

  it('cancelling a paid order refunds the charge through Stripe once, even when cancelled twice', async () => {
    const product = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 5, price: 2500 });
    const placed = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: product.id, quantity: 2 },
    ]);
    const paid = await fixture.orders.paid(fixture.buyer.accessToken, placed.id);
    const first = await fixture.orders.cancel(fixture.buyer.accessToken, placed.id);
    expect(first.status).toBe(200);
    const second = await fixture.orders.cancel(fixture.buyer.accessToken, placed.id);
    expect(second.status).toBe(200);
    const refunds = fixture.stripe.ledger.filter(
      (e) => e.object === 'refund' && e.paymentIntent === paid.payment?.providerPaymentId,
    );
    expect(refunds).toEqual([
      expect.objectContaining({ amount: 5000, currency: 'eur', status: 'succeeded' }),
    ]);
    expect(orderOf(second).payment?.refund).toEqual({
      status: 'succeeded',
      providerRefundId: refunds[0]?.id,
    });
    expect(entriesOf(orderOf(second), 'refund_requested')).toHaveLength(1);
    expect(await fixture.orders.stockOf(product.id)).toBe(5);
  });

  it('a Stripe outage answers 502 without charging; the order stays payable', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    fixture.stripe.failNext(500, 3);
    const res = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expectProblem(res, 502);
    expect(res.body.type).toBe('/problems/payment-provider-error');
    expect(JSON.stringify(res.body)).not.toContain(FAKE_STRIPE_KEY);
    expect(ledgerFor(placed.id)).toEqual([]);
    const after = await fixture.orders.read(fixture.buyer.accessToken, placed.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment?.status).toBe('error');
  });

  it('after a 502, retrying with the SAME Idempotency-Key (as the 502 tells the client to) completes the payment with one charge', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    const key = newKey('outage');
    fixture.stripe.failNext(500, 3);
    const failed = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
    expectProblem(failed, 502);

    const retry = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry).status, JSON.stringify(orderOf(retry).payment)).toBe('paid');
    expect(ledgerFor(placed.id)).toHaveLength(1);
  });

  it('tells the client in the 502 problem how to retry (the detail the service writes for it)', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    fixture.stripe.failNext(500, 3);
    const failed = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expectProblem(failed, 502);
    expect(String(failed.body.detail)).toMatch(/Retry with the same Idempotency-Key/);
  });

  it('after a 502, retrying with a new key re-sends the same attempt (same provider key): one charge, paid', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    fixture.stripe.failNext(500, 3);
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa'), 502);
    const retry = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry).status).toBe('paid');
    expect(orderOf(retry).payment?.attempt).toBe(1);
    expect(ledgerFor(placed.id).map((e) => e.idempotencyKey)).toEqual([`order-${placed.id}-attempt-1`]);
  });

  it('a request Stripe refuses (400) answers 502 saying nothing was charged; the attempt failed and a new key starts the next one', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    fixture.stripe.failNext(400, 1);
    const refused = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expectProblem(refused, 502);
    expect(String(refused.body.detail)).toMatch(/nothing was charged/);
    const after = await fixture.orders.read(fixture.buyer.accessToken, placed.id);
    expect(after.payment).toMatchObject({ attempt: 1, status: 'failed', failureReason: 'provider_rejected' });

    const retry = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry)).toMatchObject({ status: 'paid', payment: { attempt: 2 } });
    expect(ledgerFor(placed.id).map((e) => e.idempotencyKey)).toEqual([`order-${placed.id}-attempt-2`]);
  });

  it('treats a request still in flight at Stripe (409 until the budget ran out) as an unknown outcome: 502, then the same key completes it with one charge', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    const key = newKey('in-flight');
    fixture.stripe.failNext(409, 10);
    const busy = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
    expectProblem(busy, 502);
    expect(String(busy.body.detail)).toMatch(/outcome is unknown/);
    expect((await fixture.orders.read(fixture.buyer.accessToken, placed.id)).payment).toMatchObject({
      attempt: 1,
      status: 'error',
    });

    fixture.stripe.failNext(409, 0);
    const retry = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry)).toMatchObject({ status: 'paid', payment: { attempt: 1 } });
    expect(ledgerFor(placed.id).map((e) => e.idempotencyKey)).toEqual([`order-${placed.id}-attempt-1`]);
  });

  it('keeps a refund Stripe could not make on the cancelled order, and a second cancel makes it, once', async () => {
    const product = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 5, price: 1000 });
    const placed = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: product.id, quantity: 1 },
    ]);
    const paid = await fixture.orders.paid(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    fixture.stripe.failNext(500, 10);
    const first = await fixture.orders.cancel(fixture.buyer.accessToken, placed.id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(orderOf(first)).toMatchObject({ status: 'cancelled', payment: { refund: { status: 'failed' } } });
    expect(entriesOf(orderOf(first), 'refund_failed')).toHaveLength(1);
    expect(await fixture.orders.stockOf(product.id)).toBe(5);

    fixture.stripe.failNext(500, 0);
    const second = await fixture.orders.cancel(fixture.buyer.accessToken, placed.id);
    expect(second.status).toBe(200);
    expect(orderOf(second).payment?.refund?.status).toBe('succeeded');
    const refunds = fixture.stripe.ledger.filter(
      (entry) =>
        entry.object === 'refund' && entry.idempotencyKey === `refund-${paid.payment?.providerPaymentId}`,
    );
    expect(refunds).toHaveLength(1);
    const third = await fixture.orders.cancel(fixture.buyer.accessToken, placed.id);
    expect(entriesOf(orderOf(third), 'refund_requested')).toHaveLength(1);
  });

  it('refuses another card while the last attempt’s outcome is unknown (it may have charged), and takes the same card', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    fixture.stripe.failNext(500, 10);
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa'), 502);
    fixture.stripe.failNext(500, 0);
    const otherCard = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_mastercard');
    expectProblem(otherCard, 409);
    expect(String(otherCard.body.detail)).toMatch(/same payment method \(pm_card_visa\)/);
    expect(ledgerFor(placed.id)).toEqual([]);
    const sameCard = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa');
    expect(sameCard.status, JSON.stringify(sameCard.body)).toBe(200);
    expect(orderOf(sameCard).status).toBe('paid');
  });

  it('lets a payment_failed event settle an attempt whose outcome was unknown, so a new attempt can start', async () => {
    const placed = await fixture.pendingOrder({ stock: 5, price: 1000 });
    fixture.stripe.failNext(500, 10);
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa'), 502);
    fixture.stripe.failNext(500, 0);
    const unknown = await fixture.orders.read(fixture.buyer.accessToken, placed.id);
    expect(unknown.payment).toMatchObject({ attempt: 1, status: 'error' });

    const failed = paymentEvent(unknown, 'pi_declined_meanwhile', 'payment_intent.payment_failed', {
      attempt: 1,
      failureCode: 'card_declined',
    });
    const secret = await webhookSecret(fixture.backend);
    expect((await fixture.orders.webhook(failed.body, signedHeaders(failed.body, secret))).status).toBe(200);
    expect((await fixture.orders.read(fixture.buyer.accessToken, placed.id)).payment).toMatchObject({
      attempt: 1,
      status: 'failed',
      failureReason: 'card_declined',
    });
    const next = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_mastercard');
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(orderOf(next)).toMatchObject({ status: 'paid', payment: { attempt: 2 } });
  });
});
