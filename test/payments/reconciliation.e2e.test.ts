import { beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../functions/orders/model.ts';
import { expectProblem } from '../support/accounts-api.ts';
import { logCollector, valuesOf } from '../support/function-logs.ts';
import {
  entriesOf,
  intentsFor,
  newKey,
  orderOf,
  reconcileOnce,
  useStripeBackend,
} from '../support/orders-api.ts';

describe('payment reconciliation and failed refunds, against a fake Stripe', () => {
  const logs = logCollector();
  // Reconciliation asks about any unknown attempt at once (deployed: after 5 minutes).
  const fixture = useStripeBackend('reconciled', () => ({
    environment: { PAYMENT_RECONCILE_AFTER_SECONDS: '0' },
    log: logs.log,
  }));

  /** Runs the schedules once (as EventBridge would) and returns what reconciliation reported. */
  const reconcile = () => reconcileOnce(fixture.backend);
  const intentsOf = (orderId: string) => intentsFor(fixture.stripe, orderId);

  async function anOrder(price = 1500): Promise<Order> {
    const product = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 10, price });
    return fixture.orders.placed(fixture.buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
  }

  it('pays the order when Stripe keeps answering the cached 500 of a charge that went through, once', async () => {
    const order = await anOrder();
    fixture.stripe.failNextAndCache({ status: 500, execute: true });
    const key = newKey('pay');
    const first = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key);
    expectProblem(first, 502);
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).payment?.status).toBe('error');
    // The client does what the 502 says: the same key re-sends the same charge, and Stripe
    // answers the error it saved for that key, again and again.
    const again = await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa', key);
    expectProblem(again, 502);
    expect(intentsOf(order.id)).toHaveLength(1);

    const counts = await reconcile();
    expect(counts.succeeded).toBeGreaterThanOrEqual(1);
    const paid = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({
      status: 'succeeded',
      providerPaymentId: intentsOf(order.id)[0]?.id,
    });
    expect(entriesOf(paid, 'paid')[0]?.detail).toMatchObject({ type: 'reconciliation' });
    const search = fixture.stripe.requests.find((request) => request.path === '/v1/payment_intents/search');
    expect(search?.method).toBe('GET');
    expect(intentsOf(order.id)).toHaveLength(1);

    // Nothing is settled twice.
    await reconcile();
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).history).toEqual(paid.history);
  });

  it('fails an attempt Stripe has no charge for, so the order can be paid under a new attempt', async () => {
    const order = await anOrder();
    fixture.stripe.failNextAndCache({ status: 500, execute: false });
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa'), 502);
    await reconcile();
    const failed = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(failed.status).toBe('pending_payment');
    expect(failed.payment).toMatchObject({
      attempt: 1,
      status: 'failed',
      failureReason: 'no_charge_at_provider',
    });
    const paid = orderOf(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa'));
    expect(paid.status).toBe('paid');
    expect(intentsOf(order.id).map((entry) => entry.idempotencyKey)).toEqual([`order-${order.id}-attempt-2`]);
  });

  it('records a decline whose answer was lost with the card’s reason, and counts it', async () => {
    const order = await anOrder();
    fixture.stripe.failNextAndCache({ status: 500, execute: true });
    expectProblem(
      await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_chargeDeclined'),
      502,
    );
    const mark = logs.mark();
    await reconcile();
    const declined = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(declined.status).toBe('pending_payment');
    expect(declined.payment).toMatchObject({ status: 'failed', failureReason: 'generic_decline' });
    await expect.poll(() => valuesOf(logs.metrics(mark), 'PaymentDeclined')).toEqual([1]);
  });

  it('looks a pending payment whose webhook never came up by its id, and pays the order once Stripe has settled it', async () => {
    const order = await anOrder();
    const pending = orderOf(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_pending'));
    const intentId = String(pending.payment?.providerPaymentId);
    expect(pending.payment?.status).toBe('pending');
    await reconcile();
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).status).toBe('pending_payment');
    expect(
      fixture.stripe.requests.some(
        (request) => request.method === 'GET' && request.path === `/v1/payment_intents/${intentId}`,
      ),
    ).toBe(true);
    fixture.stripe.settleIntent(intentId, 'succeeded');
    await reconcile();
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).status).toBe('paid');
  });

  it('leaves a 3-D Secure payment alone while Stripe awaits the customer, and pays it when its success webhook never came', async () => {
    const order = await anOrder();
    const waiting = orderOf(
      await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_threeDSecure2Required'),
    );
    expect(waiting.payment?.status).toBe('requires_action');
    const intentId = String(waiting.payment?.providerPaymentId);
    await reconcile();
    const still = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(still.payment).toEqual(waiting.payment);
    expect(still.history).toEqual(waiting.history);
    expect(
      fixture.stripe.requests.some(
        (request) => request.method === 'GET' && request.path === `/v1/payment_intents/${intentId}`,
      ),
    ).toBe(true);
    // The customer passed the challenge; the webhook is lost.
    fixture.stripe.settleIntent(intentId, 'succeeded');
    const counts = await reconcile();
    expect(counts.succeeded).toBeGreaterThanOrEqual(1);
    const paid = await fixture.orders.read(fixture.buyer.accessToken, order.id);
    expect(paid.status).toBe('paid');
    expect(paid.payment).toMatchObject({ status: 'succeeded', providerPaymentId: intentId });
    expect(paid.payment).not.toHaveProperty('clientSecret');
    expect(intentsOf(order.id)).toHaveLength(1);
  });

  it('does not pay an order that Stripe says succeeded without the amount or the currency, or with others; an operator is told', async () => {
    for (const fields of [
      { amount: undefined },
      { currency: undefined },
      { amount: 1, currency: undefined },
      { currency: 'usd' },
      { amount: 1499 },
    ]) {
      const order = await anOrder(1500);
      const pending = orderOf(
        await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_pending'),
      );
      fixture.stripe.settleIntent(String(pending.payment?.providerPaymentId), 'succeeded', fields);
      const counts = await reconcile();
      const after = await fixture.orders.read(fixture.buyer.accessToken, order.id);
      expect(after.status, JSON.stringify(fields)).toBe('pending_payment');
      expect(after.payment).toEqual(pending.payment);
      expect(after.history.at(-1)?.detail, JSON.stringify(fields)).toMatchObject({ note: 'amount mismatch' });
      expect(counts['amount mismatch']).toBe(1);
      await expect
        .poll(() =>
          logs
            .functionLines()
            .some(
              ({ json }) =>
                json?.message === 'payment event amount does not match the order' &&
                json.orderId === order.id,
            ),
        )
        .toBe(true);
    }
  });

  it('refunds a charge it finds for an order that was cancelled while the outcome was unknown', async () => {
    const order = await anOrder(2200);
    fixture.stripe.failNextAndCache({ status: 500, execute: true });
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa'), 502);
    expect(orderOf(await fixture.orders.cancel(fixture.buyer.accessToken, order.id)).status).toBe(
      'cancelled',
    );
    await reconcile();
    const [intent] = intentsOf(order.id);
    const refunds = fixture.stripe.ledger.filter(
      (entry) => entry.object === 'refund' && entry.paymentIntent === intent?.id,
    );
    expect(refunds).toEqual([expect.objectContaining({ amount: 2200 })]);
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).status).toBe('cancelled');
  });

  it('leaves the attempt unknown while Stripe cannot be asked, and settles it on a later run', async () => {
    const order = await anOrder();
    fixture.stripe.failNextAndCache({ status: 500, execute: true });
    expectProblem(await fixture.orders.pay(fixture.buyer.accessToken, order.id, 'pm_card_visa'), 502);
    fixture.stripe.failNext(503, 30);
    const counts = await reconcile();
    expect(counts.unreachable).toBeGreaterThanOrEqual(1);
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).payment?.status).toBe('error');
    fixture.stripe.failNext(503, 0);
    await reconcile();
    expect((await fixture.orders.read(fixture.buyer.accessToken, order.id)).status).toBe('paid');
  });

  describe('a refund Stripe refuses', () => {
    let cancelled: Order;
    let mark: number;

    beforeAll(async () => {
      const order = await anOrder(3300);
      await fixture.orders.paid(fixture.buyer.accessToken, order.id);
      fixture.stripe.failNext(400);
      mark = logs.mark();
      cancelled = orderOf(await fixture.orders.cancel(fixture.buyer.accessToken, order.id));
    });

    it('leaves the order cancelled with the refund failed, and counts RefundFailed (which alarms)', async () => {
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.payment?.refund?.status).toBe('failed');
      await expect.poll(() => valuesOf(logs.metrics(mark), 'RefundFailed')).toEqual([1]);
    });

    it('is listed for admins under GET /admin/orders?refund=failed', async () => {
      const res = await fixture.orders.adminList(fixture.admin.accessToken, 'refund=failed');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const ids = (res.body.items as Order[]).map((order) => order.id);
      expect(ids).toContain(cancelled.id);
    });

    it('is not for customers to list (403), and the query takes a status or refund=failed, not both', async () => {
      expect((await fixture.orders.adminList(fixture.buyer.accessToken, 'refund=failed')).status).toBe(403);
      for (const query of ['refund=maybe', 'refund=failed&status=paid', 'refund=']) {
        expectProblem(await fixture.orders.adminList(fixture.admin.accessToken, query), 400);
      }
    });

    it('leaves the list once a second cancel makes the refund', async () => {
      const again = orderOf(await fixture.orders.cancel(fixture.buyer.accessToken, cancelled.id));
      expect(again.payment?.refund?.status).toBe('succeeded');
      const res = await fixture.orders.adminList(fixture.admin.accessToken, 'refund=failed&limit=100');
      expect((res.body.items as Order[]).map((order) => order.id)).not.toContain(cancelled.id);
    });
  });
});
