import { describe, expect, it } from 'vitest';
import { expectProblem } from '../support/accounts-api.ts';
import { entriesOf, newKey, orderOf, useStripeBackend } from '../support/orders-api.ts';

/*
 * A price-0 product made an order that could never be paid: the provider refuses to charge 0
 * (Stripe's minimum is a positive amount) and the payment answered 502 (issue 19). A zero-total
 * order is paid without asking the provider at all. Run against the fake Stripe, which records
 * every request, so "without the provider" is observable.
 */
describe('an order with nothing to charge (a price-0 product), against a fake Stripe', () => {
  const fixture = useStripeBackend('zero-total');

  it('is paid at once by POST /orders/{id}/payments, without a request to the provider, with a history entry; the same key answers the same', async () => {
    const free = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 3, price: 0 });
    const placed = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: free.id, quantity: 2 },
    ]);
    expect(placed).toMatchObject({ status: 'pending_payment', total: 0 });
    const before = fixture.stripe.requests.length;
    const key = newKey('pay-free');

    const res = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const paid = orderOf(res);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({ attempt: 1, status: 'succeeded', paymentMethod: 'pm_card_visa' });
    expect(paid.payment).not.toHaveProperty('providerPaymentId');
    expect(entriesOf(paid, 'paid')).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({ reason: expect.stringMatching(/nothing to charge/) }),
      }),
    ]);
    expect(fixture.stripe.requests.length).toBe(before);

    // Idempotent: the same key answers the paid order again, and nothing more happens.
    const again = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
    expect(again.status).toBe(200);
    expect(orderOf(again)).toEqual(paid);
    // A new key finds the order paid already.
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa'), 409);
    expect(fixture.stripe.requests.length).toBe(before);
    expect((await fixture.orders.read(fixture.buyer.accessToken, placed.id)).history).toEqual(paid.history);
  });

  it('pays exactly once when ten payment requests with different keys race', async () => {
    const free = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 1, price: 0 });
    const placed = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: free.id, quantity: 1 },
    ]);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa'),
      ),
    );
    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    expect(answers.every((res) => res.status === 200 || res.status === 409)).toBe(true);
    const after = await fixture.orders.read(fixture.buyer.accessToken, placed.id);
    expect(after.status).toBe('paid');
    expect(entriesOf(after, 'paid')).toHaveLength(1);
  });

  it('is cancelled like any paid order: the stock returns, and there is no money to give back', async () => {
    const free = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 2, price: 0 });
    const placed = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: free.id, quantity: 2 },
    ]);
    expect(
      orderOf(await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa')).status,
    ).toBe('paid');
    const before = fixture.stripe.requests.length;
    const cancelled = orderOf(await fixture.orders.cancel(fixture.buyer.accessToken, placed.id));
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.payment?.refund).toBeUndefined();
    expect(await fixture.orders.stockOf(free.id)).toBe(2);
    expect(fixture.stripe.requests.length).toBe(before);
  });

  it('charges an order with a free line and a paid one as usual (only the total decides)', async () => {
    const [free, priced] = await Promise.all([
      fixture.orders.createProduct(fixture.admin.accessToken, { stock: 1, price: 0 }),
      fixture.orders.createProduct(fixture.admin.accessToken, { stock: 1, price: 700 }),
    ]);
    const placed = await fixture.orders.placed(fixture.buyer.accessToken, [
      { productId: free.id, quantity: 1 },
      { productId: priced.id, quantity: 1 },
    ]);
    const paid = orderOf(await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa'));
    expect(paid).toMatchObject({
      status: 'paid',
      total: 700,
      payment: { providerPaymentId: expect.any(String) },
    });
  });
});
