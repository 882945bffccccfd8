import { beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../functions/orders/model.ts';
import { signStripePayload } from '../../functions/payments/webhook.ts';
import { expectProblem, type Session } from '../support/accounts-api.ts';
import { entriesOf, paymentEvent, signedHeaders, warmUp, webhookSecret } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';
import { tableReader } from '../support/table-items.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('POST /webhooks/payments through the local API', () => {
  const shop = useShop({ environment: { SIMULATED_SETTLE_SECONDS: '3600' } });
  let admin: Session;
  let customer: Session;
  let secret: string;

  beforeAll(async () => {
    // Pending simulated payments stay pending: these tests deliver the events themselves.
    [admin, customer] = await shop.adminAnd('webhook-payer');
    secret = await webhookSecret(shop.backend);
  });

  /** An order whose payment is pending at the provider, waiting for its succeeded event. */
  async function pendingOrder(): Promise<Order> {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 5, price: 1500 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const pending = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_pending');
    expect(pending.payment?.status).toBe('pending');
    return pending;
  }

  const succeededEvent = (order: Order, extra: { id?: string; created?: number } = {}) =>
    paymentEvent(order, String(order.payment?.providerPaymentId), 'payment_intent.succeeded', extra);

  async function processedEventIds(providerPaymentId: string): Promise<string[]> {
    const reader = tableReader(shop.backend);
    try {
      return (await reader.itemsMentioning(providerPaymentId))
        .filter((item) => item.entity === 'payment-event')
        .map((item) => String(item.eventId));
    } finally {
      reader.close();
    }
  }

  describe('refuses deliveries it cannot verify with a 400 problem and no effect', () => {
    let order: Order;
    let event: { id: string; body: string };

    beforeAll(async () => {
      order = await pendingOrder();
      event = succeededEvent(order);
    });

    const expectUnchanged = async () => {
      expect(await shop.orders.read(customer.accessToken, order.id)).toEqual(order);
      expect(await processedEventIds(String(order.payment?.providerPaymentId))).toEqual([]);
    };

    it('without a Stripe-Signature header', async () => {
      expectProblem(await shop.orders.webhook(event.body, { 'content-type': 'application/json' }), 400);
      await expectUnchanged();
    });

    it('with an empty or malformed Stripe-Signature header', async () => {
      for (const signature of [
        '',
        't=,v1=',
        'v1=abc',
        `t=${nowSeconds()}`,
        'garbage',
        `t=${nowSeconds()},v1=zz`,
      ]) {
        const res = await shop.orders.webhook(event.body, {
          'content-type': 'application/json',
          'stripe-signature': signature,
        });
        expectProblem(res, 400);
      }
      await expectUnchanged();
    });

    it('signed with another secret', async () => {
      const res = await shop.orders.webhook(event.body, signedHeaders(event.body, `${secret}-not-ours`));
      expectProblem(res, 400);
      await expectUnchanged();
    });

    it('with a body changed after signing', async () => {
      const headers = signedHeaders(event.body, secret);
      const tampered = event.body.replace('"livemode":false', '"livemode":true ');
      expect(tampered).not.toBe(event.body);
      expectProblem(await shop.orders.webhook(tampered, headers), 400);
      // Even a change that leaves the JSON equal (whitespace) breaks the signature over the raw bytes.
      expectProblem(await shop.orders.webhook(`${event.body}\n`, headers), 400);
      await expectUnchanged();
    });

    it('signed more than 5 minutes ago (a replay)', async () => {
      const old = nowSeconds() - 301;
      const res = await shop.orders.webhook(
        event.body,
        signedHeaders(event.body, secret, { timestamp: old }),
      );
      expectProblem(res, 400);
      await expectUnchanged();
    });

    it('signed more than 5 minutes in the future', async () => {
      const future = nowSeconds() + 600;
      expectProblem(
        await shop.orders.webhook(event.body, signedHeaders(event.body, secret, { timestamp: future })),
        400,
      );
      await expectUnchanged();
    });

    it('with a valid signature over a body that is not a Stripe event (400, never 500)', async () => {
      for (const body of ['not json', '{}', '[]', '{"id":"evt_1","type":"payment_intent.succeeded"}']) {
        expectProblem(await shop.orders.webhook(body, signedHeaders(body, secret)), 400);
      }
      await expectUnchanged();
    });

    it('and afterwards processes the same event, correctly signed, exactly once', async () => {
      const res = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ received: true, outcome: 'processed' });
      const paid = await shop.orders.read(customer.accessToken, order.id);
      expect(paid.status).toBe('paid');
      expect(await processedEventIds(String(order.payment?.providerPaymentId))).toEqual([event.id]);
    });
  });

  it('accepts a signature that lists a stale v1 next to the valid one (secret rolling)', async () => {
    const order = await pendingOrder();
    const event = succeededEvent(order);
    const valid = signStripePayload(event.body, secret);
    const stale = signStripePayload(event.body, 'an-old-secret').split(',')[1];
    const res = await shop.orders.webhook(event.body, {
      'content-type': 'application/json',
      'stripe-signature': `${valid},${stale}`,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await shop.orders.read(customer.accessToken, order.id)).status).toBe('paid');
  });

  it('verifies a base64-encoded body (application/octet-stream) over its raw bytes and processes it', async () => {
    const order = await pendingOrder();
    const event = succeededEvent(order);
    const raw = Buffer.from(event.body, 'utf8');
    const res = await shop.orders.webhook(
      raw,
      signedHeaders(raw, secret, { contentType: 'application/octet-stream' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.outcome).toBe('processed');
    expect((await shop.orders.read(customer.accessToken, order.id)).status).toBe('paid');
  });

  it('verifies a body with non-ASCII bytes exactly as sent (a UTF-8 body sent as octet-stream)', async () => {
    const order = await pendingOrder();
    const base = JSON.parse(succeededEvent(order).body) as Record<string, unknown>;
    const body = JSON.stringify({ ...base, description: 'Bestellung für Zoë – ☕' });
    const res = await shop.orders.webhook(
      Buffer.from(body, 'utf8'),
      signedHeaders(body, secret, { contentType: 'application/octet-stream' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await shop.orders.read(customer.accessToken, order.id)).status).toBe('paid');
  });

  it('answers an unknown event type with 2xx and ignores it', async () => {
    const order = await pendingOrder();
    const event = paymentEvent(order, String(order.payment?.providerPaymentId), 'customer.created');
    const res = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('ignored');
    const after = await shop.orders.read(customer.accessToken, order.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment).toEqual(order.payment);
  });

  it('answers a replayed event (same id, fresh signature) with 2xx as a duplicate, without a second effect', async () => {
    const order = await pendingOrder();
    const event = succeededEvent(order);
    expect((await shop.orders.webhook(event.body, signedHeaders(event.body, secret))).body.outcome).toBe(
      'processed',
    );
    const paid = await shop.orders.read(customer.accessToken, order.id);
    const again = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('duplicate');
    expect(await shop.orders.read(customer.accessToken, order.id)).toEqual(paid);
  });

  it('out of order: a payment_failed event arriving after the payment succeeded changes nothing', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const paid = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_visa');
    expect(paid.status).toBe('paid');
    const late = paymentEvent(
      paid,
      String(paid.payment?.providerPaymentId),
      'payment_intent.payment_failed',
      {
        failureCode: 'card_declined',
      },
    );
    const res = await shop.orders.webhook(late.body, signedHeaders(late.body, secret));
    expect(res.status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, placed.id);
    expect(after.status).toBe('paid');
    expect(after.payment).toEqual(paid.payment);
    expect(entriesOf(after, 'payment_failed')).toHaveLength(0);
  });

  it('a succeeded event arriving after the order was cancelled does not resurrect it, and the money goes back', async () => {
    const order = await pendingOrder();
    expect((await shop.orders.cancel(customer.accessToken, order.id)).status).toBe(200);
    const event = succeededEvent(order);
    const res = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
    expect(res.status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, order.id);
    expect(after.status).toBe('cancelled');
    // The money taken for a dead order goes back.
    expect(after.payment?.refund?.status).toBe('succeeded');
  });

  it('does not let an event about another payment intent pay the order', async () => {
    const order = await pendingOrder();
    const event = paymentEvent(order, 'pi_sim_someone_elses_payment', 'payment_intent.succeeded');
    const res = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
    expect(res.status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, order.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment).toEqual(order.payment);
  });

  it('refunds a second payment: a succeeded event for an earlier attempt’s payment, after a later attempt paid, gives that money back and leaves the order paid by its own payment', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const declined = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_chargeDeclined');
    const firstPayment = String(declined.payment?.providerPaymentId);
    const paid = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_visa');
    expect(paid.payment).toMatchObject({ attempt: 2, status: 'succeeded' });

    const stray = paymentEvent(paid, firstPayment, 'payment_intent.succeeded', { attempt: 1 });
    const res = await shop.orders.webhook(stray.body, signedHeaders(stray.body, secret));
    expect(res.status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, placed.id);
    expect(after.status).toBe('paid');
    expect(after.payment).toEqual(paid.payment);
    const note = after.history.find((entry) => entry.detail?.eventId === stray.id);
    expect(note?.detail).toMatchObject({
      providerPaymentId: firstPayment,
      note: expect.stringMatching(/refunded/),
      providerRefundId: expect.stringMatching(/^re_sim_/),
    });
  });

  it('does not let a late failed event of an earlier attempt fail the current one', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const declined = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_chargeDeclined');
    const pending = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_pending');
    expect(pending.payment).toMatchObject({ attempt: 2, status: 'pending' });

    const late = paymentEvent(
      pending,
      String(declined.payment?.providerPaymentId),
      'payment_intent.payment_failed',
      { attempt: 1, failureCode: 'card_declined' },
    );
    expect((await shop.orders.webhook(late.body, signedHeaders(late.body, secret))).status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, placed.id);
    expect(after.payment).toEqual(pending.payment);
  });

  it('does not apply a refund of another payment intent to the order’s payment', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const paid = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_visa');
    const other = paymentEvent(paid, 'pi_sim_another_payment', 'charge.refunded');
    expect((await shop.orders.webhook(other.body, signedHeaders(other.body, secret))).status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, placed.id);
    expect(after.payment).toEqual(paid.payment);
  });

  it('records a partial refund as partial, with the amount refunded', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2, price: 3000 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const paid = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_visa');
    const partial = paymentEvent(
      { ...paid, total: 1000 },
      String(paid.payment?.providerPaymentId),
      'charge.refunded',
    );
    expect((await shop.orders.webhook(partial.body, signedHeaders(partial.body, secret))).status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, placed.id);
    expect(after.payment?.refund).toEqual({ status: 'partial', amount: 1000 });
    expect(after.status).toBe('paid');
  });

  it('does not mark an order paid by a succeeded event for a different amount', async () => {
    const order = await pendingOrder();
    const wrong = paymentEvent(
      { ...order, total: order.total - 1 },
      String(order.payment?.providerPaymentId),
      'payment_intent.succeeded',
    );
    expect((await shop.orders.webhook(wrong.body, signedHeaders(wrong.body, secret))).status).toBe(200);
    const after = await shop.orders.read(customer.accessToken, order.id);
    expect(after.status).toBe('pending_payment');
    expect(after.payment).toEqual(order.payment);
    expect(after.history.at(-1)?.detail).toMatchObject({ eventId: wrong.id, note: 'amount mismatch' });
  });

  it('does not mark an order paid by a signed success without an amount, without a currency, or with amount 1 and no currency', async () => {
    for (const drop of [['amount'], ['currency'], ['amount', 'currency'], ['currency+amount 1']]) {
      const order = await pendingOrder();
      const event = JSON.parse(succeededEvent(order).body) as {
        id: string;
        data: { object: Record<string, unknown> };
      };
      for (const field of drop) {
        if (field === 'currency+amount 1') {
          event.data.object.amount = 1;
          delete event.data.object.currency;
        } else delete event.data.object[field];
      }
      const body = JSON.stringify(event);
      const res = await shop.orders.webhook(body, signedHeaders(body, secret));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const after = await shop.orders.read(customer.accessToken, order.id);
      expect(after.status, drop.join()).toBe('pending_payment');
      expect(after.payment).toEqual(order.payment);
      expect(after.history.at(-1)?.detail).toMatchObject({ eventId: event.id, note: 'amount mismatch' });
    }
  });

  it('answers processed to exactly one of 8 parallel deliveries of one event, and duplicate to the others (3 rounds)', async () => {
    // Eight execution environments of the webhook's function, so the deliveries really overlap.
    await warmUp(8, () => shop.orders.webhook('{}', signedHeaders('{}', secret)));
    for (let round = 1; round <= 3; round++) {
      const order = await pendingOrder();
      const event = succeededEvent(order);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => shop.orders.webhook(event.body, signedHeaders(event.body, secret))),
      );
      expect(answers.map((res) => res.status)).toEqual(Array(8).fill(200));
      const outcomes = answers.map((res) => String(res.body.outcome)).sort();
      expect(outcomes, `round ${round}`).toEqual([...Array(7).fill('duplicate'), 'processed']);
      const after = await shop.orders.read(customer.accessToken, order.id);
      expect(after.status).toBe('paid');
      expect(after.history.filter((entry) => entry.detail?.eventId === event.id)).toHaveLength(1);
    }
  });

  it('refunds whatever wins when a cancel races the payment’s success event: the order ends cancelled, its stock back, its money back (5 rounds)', async () => {
    for (let round = 1; round <= 5; round++) {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 1 });
      const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const pending = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_pending');
      const event = succeededEvent(pending);
      const [cancel, delivery] = await Promise.all([
        shop.orders.cancel(customer.accessToken, placed.id),
        shop.orders.webhook(event.body, signedHeaders(event.body, secret)),
      ]);
      expect([cancel.status, delivery.status], `round ${round}`).toEqual([200, 200]);
      const after = await shop.orders.read(customer.accessToken, placed.id);
      expect(after.status, `round ${round}`).toBe('cancelled');
      expect(after.payment?.refund?.status, `round ${round}: ${JSON.stringify(after.history)}`).toBe(
        'succeeded',
      );
      expect(await shop.orders.stockOf(product.id)).toBe(1);
    }
  });

  it('refuses an eleventh payment attempt after ten declines with 409', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 1 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const declined = await shop.orders.paid(customer.accessToken, placed.id, 'pm_card_chargeDeclined');
      expect(declined.payment).toMatchObject({ attempt, status: 'failed' });
    }
    const refused = await shop.orders.pay(customer.accessToken, placed.id, 'pm_card_visa');
    expectProblem(refused, 409);
    expect(String(refused.body.detail)).toMatch(/10 failed payment attempts/);
    expect((await shop.orders.read(customer.accessToken, placed.id)).status).toBe('pending_payment');
  });

  it('accepts an event for an order that does not exist with 2xx and changes nothing', async () => {
    const event = paymentEvent(
      { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', total: 100, currency: 'EUR' },
      'pi_sim_nobody',
      'payment_intent.succeeded',
    );
    const res = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('ignored');
  });

  it('answers a body over 256 KiB with a 4xx problem, never a 500', async () => {
    const order = await pendingOrder();
    const base = JSON.parse(succeededEvent(order).body) as Record<string, unknown>;
    const body = JSON.stringify({ ...base, padding: 'x'.repeat(300 * 1024) });
    const res = await shop.orders.webhook(body, signedHeaders(body, secret));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await shop.orders.read(customer.accessToken, order.id)).status).toBe('pending_payment');
  });
});
