import { describe, expect, it } from 'vitest';
import { expectProblem } from '../support/accounts-api.ts';
import { intentsFor, newKey, orderOf, useStripeBackend } from '../support/orders-api.ts';

/**
 * The payment provider misbehaving the ways networks and proxies do, beyond the clean 4xx/5xx
 * answers test/payments/stripe.e2e.test.ts covers: an HTML error page, a truncated JSON body, a connection
 * reset after Stripe ran the charge, an answer that never comes. Whatever happens: the client
 * gets a 2xx or a 502/503 problem (never a 500), Stripe holds at most one PaymentIntent per
 * order attempt, and the order ends up paid or still payable.
 */
describe('payment provider faults, end to end against a fake Stripe', () => {
  const fixture = useStripeBackend('faults-pay');

  const intentsOf = (orderId: string) => intentsFor(fixture.stripe, orderId);

  const anOrder = () => fixture.pendingOrder({ stock: 5, price: 2500 });

  /** A 502 problem from the payments function (the provider failed), never a 500. */
  const expectProviderProblem = (res: Awaited<ReturnType<typeof fixture.orders.pay>>) => {
    expectProblem(res, 502);
    expect(res.body.type).toBe('/problems/payment-provider-error');
  };

  it('retries an HTML 502 page from a proxy in front of Stripe with the same key, and pays once', async () => {
    const order = await anOrder();
    fixture.stripe.misbehaveNext('html-502', 1);
    const res = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(orderOf(res).status).toBe('paid');
    expect(intentsOf(order.id)).toHaveLength(1);
  });

  it('answers 502 when every try gets the HTML page: nothing charged, the order stays payable and is paid once later', async () => {
    const order = await anOrder();
    const key = newKey('html');
    fixture.stripe.misbehaveNext('html-502', 3);
    expectProviderProblem(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key));
    expect(intentsOf(order.id)).toEqual([]);
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).status).toBe('pending_payment');

    const retry = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry).status).toBe('paid');
    expect(intentsOf(order.id)).toHaveLength(1);
  });

  it('treats a truncated JSON body after a charge as an unknown outcome (502); the same key then pays with that one charge', async () => {
    const order = await anOrder();
    const key = newKey('garbage');
    fixture.stripe.misbehaveNext('garbage', 1);
    expectProviderProblem(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key));
    expect(intentsOf(order.id)).toHaveLength(1);
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).payment).toMatchObject({
      attempt: 1,
      status: 'error',
    });

    const retry = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry)).toMatchObject({ status: 'paid', payment: { attempt: 1 } });
    expect(intentsOf(order.id)).toHaveLength(1);
  });

  it('recovers from a connection reset after Stripe charged by retrying with the same key: paid, one charge', async () => {
    const order = await anOrder();
    fixture.stripe.misbehaveNext('reset', 1);
    const res = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(orderOf(res).status).toBe('paid');
    expect(intentsOf(order.id)).toHaveLength(1);
  });

  it('gives up on an answer that never comes within its budget (502 or 503 problem, never the gateway’s 500), and the same key then pays with one charge', async () => {
    const order = await anOrder();
    const key = newKey('hang');
    fixture.stripe.misbehaveNext('hang', 1);
    const slow = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key);
    expect([502, 503], JSON.stringify(slow.body)).toContain(slow.status);
    expectProblem(slow, slow.status);
    expect(intentsOf(order.id)).toHaveLength(1);

    const retry = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(orderOf(retry)).toMatchObject({ status: 'paid', payment: { attempt: 1 } });
    expect(intentsOf(order.id)).toHaveLength(1);
  });
});
