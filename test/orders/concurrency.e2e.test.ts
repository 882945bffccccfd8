import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import { type ApiResponse, expectProblem, type Session } from '../support/accounts-api.ts';
import {
  entriesOf,
  newKey,
  orderOf,
  paymentEvent,
  signedHeaders,
  statusCounts,
  useStripeBackend,
  warmUp,
  webhookSecret,
} from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

const SLOW = 180_000;
/** A well-formed id that names nothing. */
const NO_SUCH_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('concurrency on DynamoDB Local through the local API (simulated provider)', () => {
  const shop = useShop({ environment: { SIMULATED_SETTLE_SECONDS: '3600' } });
  let admin: Session;
  let customers: Session[];
  let secret: string;

  beforeAll(async () => {
    // Pending simulated payments never settle by themselves here: the tests deliver their events.
    const _client = shop.accounts;
    [admin, ...customers] = await shop.adminAnd('racer-a', 'racer-b', 'racer-c');
    secret = await webhookSecret(shop.backend);
  });

  const customer = (i: number): Session => customers[i % customers.length] as Session;

  it(
    'sells exactly the stock: of 50 parallel orders for a product with stock 10, 10 get 201 and 40 get 409 naming the product',
    async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 10 });
      await warmUp(50, (i) =>
        shop.orders.place(customer(i).accessToken, [{ productId: NO_SUCH_ID, quantity: 1 }]),
      );
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          shop.orders.place(
            customer(i).accessToken,
            [{ productId: product.id, quantity: 1 }],
            newKey(`race-${i}`),
          ),
        ),
      );
      expect(statusCounts(results)).toEqual({ 201: 10, 409: 40 });
      for (const loser of results.filter((r) => r.status === 409)) {
        expectProblem(loser, 409);
        expect(loser.body.type).toBe('/problems/insufficient-stock');
        expect(loser.body.errors).toEqual([
          { path: 'body.items.0.quantity', message: expect.stringContaining(product.id) },
        ]);
      }
      const winners = results.filter((r) => r.status === 201).map(orderOf);
      expect(new Set(winners.map((o) => o.id)).size).toBe(10);
      expect(winners.every((o) => o.status === 'pending_payment')).toBe(true);
      expect(await shop.orders.stockOf(product.id)).toBe(0);
    },
    SLOW,
  );

  it(
    'lets 5 parallel deliveries of one webhook event have one effect: 5 x 2xx, the order paid once',
    async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 3 });
      const placed = await shop.orders.placed(customer(0).accessToken, [
        { productId: product.id, quantity: 1 },
      ]);
      const pending = await shop.orders.paid(customer(0).accessToken, placed.id, 'pm_card_pending');
      expect(pending.status).toBe('pending_payment');
      expect(pending.payment?.status).toBe('pending');
      const providerPaymentId = String(pending.payment?.providerPaymentId);
      const event = paymentEvent(pending, providerPaymentId, 'payment_intent.succeeded');
      await warmUp(5, () => shop.orders.webhook(event.body, { 'content-type': 'application/json' }));

      const deliveries = await Promise.all(
        Array.from({ length: 5 }, () => shop.orders.webhook(event.body, signedHeaders(event.body, secret))),
      );
      for (const res of deliveries) {
        expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(300);
      }
      const after = await shop.orders.read(customer(0).accessToken, placed.id);
      expect(after.status).toBe('paid');
      expect(after.payment).toMatchObject({ status: 'succeeded', providerPaymentId });
      expect(entriesOf(after, 'paid')).toHaveLength(1);
      const mentioningEvent = after.history.filter((entry) => JSON.stringify(entry).includes(event.id));
      expect(mentioningEvent.length).toBeLessThanOrEqual(1);

      // A sixth, later delivery is recognised as a duplicate and changes nothing either.
      const late = await shop.orders.webhook(event.body, signedHeaders(event.body, secret));
      expect(late.status).toBe(200);
      expect(late.body.outcome).toBe('duplicate');
      expect(await shop.orders.read(customer(0).accessToken, placed.id)).toEqual(after);
    },
    SLOW,
  );

  it.each([1, 2, 3])(
    'lets exactly one of a racing cancel (owner) and ship (admin) win on a paid order, the other 409 (round %i)',
    async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 5 });
      const placed = await shop.orders.placed(customer(1).accessToken, [
        { productId: product.id, quantity: 2 },
      ]);
      expect((await shop.orders.paid(customer(1).accessToken, placed.id)).status).toBe('paid');
      await Promise.all([
        shop.orders.cancel(admin.accessToken, NO_SUCH_ID),
        shop.orders.ship(admin.accessToken, NO_SUCH_ID),
      ]);
      const [cancel, ship] = await Promise.all([
        shop.orders.cancel(customer(1).accessToken, placed.id),
        shop.orders.ship(admin.accessToken, placed.id),
      ]);
      expect([cancel.status, ship.status].sort()).toEqual([200, 409]);
      const loser = cancel.status === 409 ? cancel : ship;
      expectProblem(loser, 409);
      const final = await shop.orders.read(admin.accessToken, placed.id);
      if (cancel.status === 200) {
        expect(final.status).toBe('cancelled');
        expect(await shop.orders.stockOf(product.id)).toBe(5);
        expect(final.payment?.refund?.status).toBe('succeeded');
        expect(entriesOf(final, 'shipped')).toHaveLength(0);
      } else {
        expect(final.status).toBe('shipped');
        expect(await shop.orders.stockOf(product.id)).toBe(3);
        expect(entriesOf(final, 'cancelled')).toHaveLength(0);
        expect(final.payment?.refund).toBeUndefined();
      }
    },
    SLOW,
  );

  it(
    'answers 10 parallel cancels of a pending order all with 200 (cancel is idempotent) and returns the stock once (3 rounds)',
    async () => {
      await warmUp(10, () => shop.orders.cancel(admin.accessToken, NO_SUCH_ID));
      for (let round = 1; round <= 3; round++) {
        const product = await shop.orders.createProduct(admin.accessToken, { stock: 5 });
        const placed = await shop.orders.placed(customer(2).accessToken, [
          { productId: product.id, quantity: 2 },
        ]);
        expect(await shop.orders.stockOf(product.id)).toBe(3);
        const results = await Promise.all(
          Array.from({ length: 10 }, () => shop.orders.cancel(customer(2).accessToken, placed.id)),
        );
        expect(
          statusCounts(results),
          `round ${round}: ${JSON.stringify(results.filter((r) => r.status !== 200).map((r) => r.body.detail))}`,
        ).toEqual({ 200: 10 });
        for (const res of results) expect(orderOf(res).status).toBe('cancelled');
        expect(await shop.orders.stockOf(product.id)).toBe(5);
        const final = await shop.orders.read(customer(2).accessToken, placed.id);
        expect(entriesOf(final, 'cancelled')).toHaveLength(1);
      }
    },
    SLOW,
  );

  it(
    'returns the stock exactly once whatever the outcome of 10 parallel cancels of a pending order',
    async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 5 });
      const placed = await shop.orders.placed(customer(0).accessToken, [
        { productId: product.id, quantity: 2 },
      ]);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => shop.orders.cancel(customer(0).accessToken, placed.id)),
      );
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      expect(results.some((r) => r.status === 200)).toBe(true);
      expect(await shop.orders.stockOf(product.id)).toBe(5);
      const final = await shop.orders.read(customer(0).accessToken, placed.id);
      expect(final.status).toBe('cancelled');
      expect(entriesOf(final, 'cancelled')).toHaveLength(1);
    },
    SLOW,
  );
});

describe('concurrency of payments with the stripe provider against a fake Stripe', () => {
  const fixture = useStripeBackend('stripe-buyer');

  /** The payment intents the fake Stripe created for an order (its provider keys name the order). */
  const chargesFor = (orderId: string) =>
    fixture.stripe.ledger.filter(
      (entry) => entry.object === 'payment_intent' && entry.idempotencyKey?.includes(orderId),
    );

  it(
    'charges once for 20 parallel POST /orders/{id}/payments with one Idempotency-Key; none fails with a 5xx and the order ends paid',
    async () => {
      const placed = await fixture.pendingOrder({ stock: 4, price: 1999 }, 2);
      const key = newKey('one-key');
      await warmUp(20, () => fixture.orders.pay(fixture.buyer.accessToken, NO_SUCH_ID, 'pm_card_visa'));
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key),
        ),
      );
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      expect(results.some((r) => r.status === 200)).toBe(true);

      const charges = chargesFor(placed.id);
      expect(charges).toHaveLength(1);
      expect(charges[0]).toMatchObject({ amount: 3998, currency: 'eur', status: 'succeeded' });
      expect(
        fixture.stripe.requests.filter(
          (r) => r.path === '/v1/payment_intents' && r.form['metadata[orderId]'] === placed.id,
        ),
      ).toHaveLength(1);

      const final = await fixture.orders.read(fixture.buyer.accessToken, placed.id);
      expect(final.status).toBe('paid');
      expect(final.payment).toMatchObject({
        attempt: 1,
        status: 'succeeded',
        providerPaymentId: charges[0]?.id,
      });
      expect(entriesOf(final, 'payment_started')).toHaveLength(1);
      expect(entriesOf(final, 'paid')).toHaveLength(1);

      // Replaying the key once everything settled answers the paid order, still without a charge.
      const replay = await fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key);
      expect(replay.status).toBe(200);
      expect(orderOf(replay)).toEqual(final);
      expect(chargesFor(placed.id)).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'answers all 20 parallel payment requests with one Idempotency-Key with 200 and a snapshot of the same single attempt',
    async () => {
      const placed = await fixture.pendingOrder({ stock: 4, price: 1999 });
      const key = newKey('one-key');
      await warmUp(20, () => fixture.orders.pay(fixture.buyer.accessToken, NO_SUCH_ID, 'pm_card_visa'));
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', key),
        ),
      );
      expect(
        statusCounts(results),
        JSON.stringify(results.filter((r) => r.status !== 200).map((r) => r.body.detail)),
      ).toEqual({ 200: 20 });
      const [charge] = chargesFor(placed.id);
      for (const answer of results.map(orderOf)) {
        expect(answer.id).toBe(placed.id);
        expect(answer.payment).toMatchObject({ attempt: 1, paymentMethod: 'pm_card_visa' });
        // A snapshot of the one attempt: still processing, or paid with the one charge.
        if (answer.status === 'paid') {
          expect(answer.payment).toMatchObject({ status: 'succeeded', providerPaymentId: charge?.id });
        } else {
          expect(answer.status).toBe('pending_payment');
          expect(answer.payment?.status).toBe('processing');
        }
      }
      expect(chargesFor(placed.id)).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'charges once when 10 parallel payments race with 10 different keys: one 200, the others 409',
    async () => {
      const placed = await fixture.pendingOrder({ stock: 4, price: 500 });
      const results: ApiResponse[] = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fixture.orders.pay(fixture.buyer.accessToken, placed.id, 'pm_card_visa', newKey(`key-${i}`)),
        ),
      );
      const counts = statusCounts(results);
      expect(counts[200]).toBe(1);
      expect(counts[409]).toBe(9);
      for (const loser of results.filter((r) => r.status === 409)) expectProblem(loser, 409);
      expect(chargesFor(placed.id)).toHaveLength(1);
      const final: Order = await fixture.orders.read(fixture.buyer.accessToken, placed.id);
      expect(final.status).toBe('paid');
    },
    SLOW,
  );

  it('sells the last unit once when two orders race for it', async () => {
    const product: Product = await fixture.orders.createProduct(fixture.admin.accessToken, { stock: 1 });
    const [first, second] = await Promise.all([
      fixture.orders.place(fixture.buyer.accessToken, [{ productId: product.id, quantity: 1 }]),
      fixture.orders.place(fixture.buyer.accessToken, [{ productId: product.id, quantity: 1 }]),
    ]);
    expect([first?.status, second?.status].sort()).toEqual([201, 409]);
    expect(await fixture.orders.stockOf(product.id)).toBe(0);
  });
});
