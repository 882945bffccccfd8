import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import { bearer, errorPaths, expectProblem, type Session } from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { entriesOf, historyTypes, newKey, orderOf, statusCounts } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';
import { tableReader } from '../support/table-items.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts the types appear in the history in this relative order (other entries may sit between). */
function expectInOrder(order: Order, types: readonly string[]): void {
  const seen = historyTypes(order);
  let from = 0;
  for (const type of types) {
    const at = seen.indexOf(type, from);
    expect(at, `${type} after position ${from} in ${seen.join(', ')}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

describe('orders and payments end to end through the local API (simulated provider)', () => {
  const shop = useShop({ environment: { SIMULATED_SETTLE_SECONDS: '0' } });
  let admin: Session;
  let buyer: Session;
  let lister: Session;
  let eraser: Session;
  let other: Session;

  beforeAll(async () => {
    // Pending simulated payments settle as soon as the schedule runs.
    const _client = shop.accounts;
    [admin, buyer, lister, eraser, other] = await shop.adminAnd('buyer', 'lister', 'eraser', 'other');
  });

  describe('the happy path', () => {
    let product: Product;
    let order: Order;

    beforeAll(async () => {
      product = await shop.orders.createProduct(admin.accessToken, {
        name: 'Flow Kettle',
        price: 2999,
        stock: 5,
      });
    });

    it('browse: the product is listed in its category and readable', async () => {
      const list = await call(`${shop.api}/products?category=home&limit=100`);
      expect(list.status).toBe(200);
      expect((list.body.items as Product[]).map((p) => p.id)).toContain(product.id);
      const detail = await shop.orders.product(product.id);
      expect(detail.status).toBe(200);
      expect(detail.body).toEqual(product);
    });

    it('order: 201 with a pending order whose prices come from the catalog, and the stock is reserved', async () => {
      const res = await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 2 }]);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      order = orderOf(res);
      expect(res.headers.get('location')).toBe(`/orders/${order.id}`);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(order).toEqual({
        id: expect.stringMatching(ULID),
        userId: buyer.user.id,
        status: 'pending_payment',
        items: [
          { productId: product.id, name: 'Flow Kettle', unitPrice: 2999, quantity: 2, lineTotal: 5998 },
        ],
        total: 5998,
        currency: 'EUR',
        createdAt: expect.any(String),
        updatedAt: order.createdAt,
        expiresAt: expect.any(String),
        history: [{ at: expect.any(String), type: 'created', detail: { lines: 1 } }],
      });
      expect(Date.parse(order.expiresAt) - Date.parse(order.createdAt)).toBe(30 * 60_000);
      expect(await shop.orders.stockOf(product.id)).toBe(3);
      expect(await shop.orders.read(buyer.accessToken, order.id)).toEqual(order);
    });

    it('pay with pm_card_visa: 200 with the order paid and the payment succeeded', async () => {
      const res = await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_visa');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const paid = orderOf(res);
      expect(paid.status).toBe('paid');
      expect(paid.payment).toEqual({
        attempt: 1,
        status: 'succeeded',
        paymentMethod: 'pm_card_visa',
        providerPaymentId: expect.stringMatching(/^pi_sim_/),
        startedAt: expect.any(String),
      });
      expectInOrder(paid, ['created', 'payment_started', 'paid']);
      expect(entriesOf(paid, 'paid')).toHaveLength(1);
      expect(await shop.orders.read(buyer.accessToken, order.id)).toEqual(paid);
      order = paid;
    });

    it('webhook: the simulated provider delivered its signed payment_intent.succeeded event and it was processed once', async () => {
      const reader = tableReader(shop.backend);
      try {
        const events = (await reader.itemsMentioning(String(order.payment?.providerPaymentId))).filter(
          (item) => item.entity === 'payment-event',
        );
        expect(events).toEqual([
          expect.objectContaining({
            eventId: expect.stringMatching(/^evt_sim_/),
            type: 'payment_intent.succeeded',
            providerPaymentId: order.payment?.providerPaymentId,
          }),
        ]);
      } finally {
        reader.close();
      }
    });

    it('records the provider event that paid the order in its history (event id and type)', async () => {
      const current = await shop.orders.read(buyer.accessToken, order.id);
      const eventEntries = current.history.filter(
        (entry) =>
          typeof entry.detail?.eventId === 'string' && entry.detail?.type === 'payment_intent.succeeded',
      );
      expect(eventEntries, JSON.stringify(current.history)).toHaveLength(1);
    });

    it('admin ships: 200 shipped; the reserved stock is consumed, not returned', async () => {
      const res = await shop.orders.ship(admin.accessToken, order.id);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(orderOf(res).status).toBe('shipped');
      expect(entriesOf(orderOf(res), 'shipped')[0]?.detail).toEqual({ by: admin.user.id });
      expect(await shop.orders.stockOf(product.id)).toBe(3);
    });

    it('the owner can no longer cancel a shipped order (409) and it stays shipped', async () => {
      expectProblem(await shop.orders.cancel(buyer.accessToken, order.id), 409);
      expect((await shop.orders.read(buyer.accessToken, order.id)).status).toBe('shipped');
    });

    it('admin delivers: 200 delivered, with the whole lifecycle in the history', async () => {
      const res = await shop.orders.deliver(admin.accessToken, order.id);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const delivered = orderOf(res);
      expect(delivered.status).toBe('delivered');
      expectInOrder(delivered, ['created', 'payment_started', 'paid', 'shipped', 'delivered']);
      expect(await shop.orders.read(buyer.accessToken, order.id)).toEqual(delivered);
    });

    it('a delivered order cannot be shipped, delivered, paid or cancelled again (409 each)', async () => {
      expectProblem(await shop.orders.ship(admin.accessToken, order.id), 409);
      expectProblem(await shop.orders.deliver(admin.accessToken, order.id), 409);
      expectProblem(await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_visa'), 409);
      expectProblem(await shop.orders.cancel(admin.accessToken, order.id), 409);
      expect(await shop.orders.stockOf(product.id)).toBe(3);
    });

    it('admin lists it under GET /admin/orders?status=delivered', async () => {
      const res = await shop.orders.adminList(admin.accessToken, 'status=delivered');
      expect(res.status).toBe(200);
      expect((res.body.items as Order[]).map((o) => o.id)).toContain(order.id);
      const stale = await shop.orders.adminList(admin.accessToken, 'status=paid&limit=100');
      expect((stale.body.items as Order[]).map((o) => o.id)).not.toContain(order.id);
    });
  });

  it('shipping an unpaid order is a 409 and delivering an unshipped one too', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
    expectProblem(await shop.orders.ship(admin.accessToken, placed.id), 409);
    expectProblem(await shop.orders.deliver(admin.accessToken, placed.id), 409);
    const paid = await shop.orders.paid(buyer.accessToken, placed.id);
    expectProblem(await shop.orders.deliver(admin.accessToken, paid.id), 409);
    expect((await shop.orders.read(buyer.accessToken, placed.id)).status).toBe('paid');
  });

  it('decline then retry: pm_card_chargeDeclined leaves the order pending with a failed payment and its reason; pm_card_visa with a new key pays it', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 4, price: 700 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);

    const declined = await shop.orders.pay(
      buyer.accessToken,
      placed.id,
      'pm_card_chargeDeclined',
      newKey('decline'),
    );
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    expect(orderOf(declined).status).toBe('pending_payment');
    expect(orderOf(declined).payment).toMatchObject({
      attempt: 1,
      status: 'failed',
      paymentMethod: 'pm_card_chargeDeclined',
      failureReason: 'card_declined',
    });
    expect(entriesOf(orderOf(declined), 'payment_failed')).toHaveLength(1);
    expect(await shop.orders.stockOf(product.id)).toBe(3);

    const retried = await shop.orders.pay(buyer.accessToken, placed.id, 'pm_card_visa', newKey('retry'));
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(orderOf(retried).status).toBe('paid');
    expect(orderOf(retried).payment).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      paymentMethod: 'pm_card_visa',
    });
    expect(entriesOf(orderOf(retried), 'payment_started')).toHaveLength(2);
    expect(await shop.orders.stockOf(product.id)).toBe(3);
  });

  it('names the decline reason in the history entry of the failed attempt', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 1 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const declined = await shop.orders.paid(buyer.accessToken, placed.id, 'pm_card_chargeDeclined');
    const [failed] = entriesOf(declined, 'payment_failed');
    expect(failed?.detail, JSON.stringify(declined.history)).toMatchObject({ reason: 'card_declined' });
  });

  it('pending: pm_card_pending stays pending until the scheduled settlement delivers its webhook, then the order is paid', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const pending = await shop.orders.paid(buyer.accessToken, placed.id, 'pm_card_pending');
    expect(pending.status).toBe('pending_payment');
    expect(pending.payment).toMatchObject({
      status: 'pending',
      providerPaymentId: expect.stringMatching(/^pi_/),
    });
    // A second payment while one is pending is refused.
    expectProblem(await shop.orders.pay(buyer.accessToken, placed.id, 'pm_card_visa'), 409);

    const runs = await shop.backend.runSchedules();
    expect(runs.every((run) => run.ok)).toBe(true);
    const settle = runs.find((run) => run.functionLogicalId.startsWith('PaymentsCompleteSimulatedPayments'));
    expect(settle?.result).toMatchObject({ delivered: expect.any(Number), failed: 0 });
    expect(Number((settle?.result as { delivered?: number } | undefined)?.delivered)).toBeGreaterThanOrEqual(
      1,
    );

    const settled = await shop.orders.read(buyer.accessToken, placed.id);
    expect(settled.status).toBe('paid');
    expect(settled.payment).toMatchObject({
      status: 'succeeded',
      providerPaymentId: pending.payment?.providerPaymentId,
    });
    // Running the schedule again delivers nothing new and changes nothing.
    await shop.backend.runSchedules();
    expect(await shop.orders.read(buyer.accessToken, placed.id)).toEqual(settled);
  });

  it('cancel a pending order: 200 cancelled, the stock returns; cancelling again is 200 and changes nothing; paying it is 409', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 6 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 4 }]);
    expect(await shop.orders.stockOf(product.id)).toBe(2);
    const res = await shop.orders.cancel(buyer.accessToken, placed.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const cancelled = orderOf(res);
    expect(cancelled.status).toBe('cancelled');
    expect(await shop.orders.stockOf(product.id)).toBe(6);

    const again = await shop.orders.cancel(buyer.accessToken, placed.id);
    expect(again.status).toBe(200);
    expect(orderOf(again)).toEqual(cancelled);
    expect(await shop.orders.stockOf(product.id)).toBe(6);
    expectProblem(await shop.orders.pay(buyer.accessToken, placed.id, 'pm_card_visa'), 409);
    expectProblem(await shop.orders.ship(admin.accessToken, placed.id), 409);
  });

  it('cancel a paid order: 200 cancelled, the stock returns and the refund is recorded on the payment and in the history', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 3, price: 4500 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 3 }]);
    await shop.orders.paid(buyer.accessToken, placed.id);
    expect(await shop.orders.stockOf(product.id)).toBe(0);

    const res = await shop.orders.cancel(buyer.accessToken, placed.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const cancelled = orderOf(res);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.payment?.refund).toEqual({
      status: 'succeeded',
      providerRefundId: expect.stringMatching(/^re_/),
    });
    expectInOrder(cancelled, ['paid', 'cancelled']);
    expect(historyTypes(cancelled)).toEqual(expect.arrayContaining(['refund_requested']));
    expect(entriesOf(cancelled, 'refund_requested')[0]?.detail).toMatchObject({ status: 'succeeded' });
    expect(await shop.orders.stockOf(product.id)).toBe(3);
  });

  it('an admin may cancel a customer’s pending order, and the stock returns', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 2 });
    const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 2 }]);
    const res = await shop.orders.cancel(admin.accessToken, placed.id);
    expect(res.status).toBe(200);
    expect(orderOf(res).status).toBe('cancelled');
    expect(await shop.orders.stockOf(product.id)).toBe(2);
  });

  it('cancelling an order whose product was deleted meanwhile answers 200 and returns the stock of the others', async () => {
    const [doomed, kept] = await Promise.all([
      shop.orders.createProduct(admin.accessToken, { stock: 3 }),
      shop.orders.createProduct(admin.accessToken, { stock: 3 }),
    ]);
    const placed = await shop.orders.placed(buyer.accessToken, [
      { productId: doomed.id, quantity: 1 },
      { productId: kept.id, quantity: 2 },
    ]);
    const removed = await call(`${shop.api}/products/${doomed.id}`, {
      method: 'DELETE',
      headers: bearer(admin.accessToken),
    });
    expect(removed.status).toBe(204);
    const res = await shop.orders.cancel(buyer.accessToken, placed.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(orderOf(res).status).toBe('cancelled');
    expect(await shop.orders.stockOf(kept.id)).toBe(3);
    expectProblem(await shop.orders.product(doomed.id), 404);
  });

  describe('GET /orders', () => {
    let placedIds: string[];

    beforeAll(async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 20 });
      placedIds = [];
      for (let i = 0; i < 5; i++) {
        placedIds.push(
          (await shop.orders.placed(lister.accessToken, [{ productId: product.id, quantity: 1 }])).id,
        );
      }
    });

    it('lists the caller’s orders newest first', async () => {
      const res = await shop.orders.list(lister.accessToken);
      expect(res.status).toBe(200);
      expect((res.body.items as Order[]).map((o) => o.id)).toEqual([...placedIds].reverse());
      expect(res.body.nextCursor).toBeNull();
      expect((res.body.items as Order[]).every((o) => o.userId === lister.user.id)).toBe(true);
    });

    it('pages through them with an opaque cursor, each order once, in the same order', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await shop.orders.list(lister.accessToken, query);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const items = res.body.items as Order[];
        expect(items.length).toBeLessThanOrEqual(2);
        seen.push(...items.map((o) => o.id));
        cursor = res.body.nextCursor as string | null;
        if (cursor) expect(cursor).not.toMatch(/ORDER|ORDERS_OF|pk/);
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...placedIds].reverse());
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('refuses the lister’s cursor in another customer’s listing (400 naming query.cursor)', async () => {
      const first = await shop.orders.list(lister.accessToken, 'limit=1');
      const cursor = String(first.body.nextCursor);
      const res = await shop.orders.list(other.accessToken, `limit=1&cursor=${encodeURIComponent(cursor)}`);
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['query.cursor']);
    });

    it('GET /me/export includes the caller’s orders', async () => {
      const res = await call(`${shop.api}/me/export`, { headers: bearer(lister.accessToken) });
      expect(res.status).toBe(200);
      const exported = (res.body.orders as Order[]).map((o) => o.id).sort();
      expect(exported).toEqual([...placedIds].sort());
    });
  });

  describe('idempotency of POST /orders', () => {
    let product: Product;

    beforeAll(async () => {
      product = await shop.orders.createProduct(admin.accessToken, { stock: 20 });
    });

    it('answers the same key with the same body with the same order (201, idempotent-replayed: true) and reserves stock once', async () => {
      const key = newKey('same');
      const first = await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 2 }], key);
      expect(first.status).toBe(201);
      const again = await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 2 }], key);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(orderOf(again).id).toBe(orderOf(first).id);
      expect(orderOf(again)).toEqual(orderOf(first));
      expect(await shop.orders.stockOf(product.id)).toBe(18);
    });

    it('answers the same key with a different body with a 422 problem and places nothing', async () => {
      const key = newKey('different');
      expect(
        (await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 1 }], key)).status,
      ).toBe(201);
      const stock = await shop.orders.stockOf(product.id);
      const res = await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 3 }], key);
      expectProblem(res, 422);
      expect(res.body.type).toBe('/problems/idempotency-key-reused');
      expect(await shop.orders.stockOf(product.id)).toBe(stock);
    });

    it('answers a request without an Idempotency-Key with a 400 naming header.idempotency-key', async () => {
      const stock = await shop.orders.stockOf(product.id);
      const res = await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 1 }], null);
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['header.idempotency-key']);
      expect(await shop.orders.stockOf(product.id)).toBe(stock);
    });

    it('scopes keys to the caller: another customer may use the same key and gets an order of its own', async () => {
      const key = newKey('shared');
      const mine = await shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 1 }], key);
      const theirs = await shop.orders.place(
        other.accessToken,
        [{ productId: product.id, quantity: 1 }],
        key,
      );
      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.headers.get('idempotent-replayed')).toBeNull();
      expect(orderOf(theirs).id).not.toBe(orderOf(mine).id);
      expect(orderOf(theirs).userId).toBe(other.user.id);
    });

    it('creates one order for 10 concurrent requests with one key', async () => {
      const key = newKey('concurrent');
      const stock = await shop.orders.stockOf(product.id);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          shop.orders.place(buyer.accessToken, [{ productId: product.id, quantity: 1 }], key),
        ),
      );
      expect(statusCounts(results)).toEqual({ 201: 10 });
      expect(new Set(results.map((r) => orderOf(r).id)).size).toBe(1);
      expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
      expect(await shop.orders.stockOf(product.id)).toBe(stock - 1);
    });

    it('answers a payment key reused with another payment method with a 422 problem', async () => {
      const placed = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const key = newKey('pay-key');
      const declined = await shop.orders.pay(buyer.accessToken, placed.id, 'pm_card_chargeDeclined', key);
      expect(declined.status).toBe(200);
      const res = await shop.orders.pay(buyer.accessToken, placed.id, 'pm_card_visa', key);
      expectProblem(res, 422);
      expect((await shop.orders.read(buyer.accessToken, placed.id)).payment?.status).toBe('failed');
    });
  });

  describe('account erasure', () => {
    let pending: Order;
    let cancelled: Order;
    let paid: Order;

    beforeAll(async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 10 });
      pending = await shop.orders.placed(eraser.accessToken, [{ productId: product.id, quantity: 1 }]);
      cancelled = await shop.orders.placed(eraser.accessToken, [{ productId: product.id, quantity: 1 }]);
      expect((await shop.orders.cancel(eraser.accessToken, cancelled.id)).status).toBe(200);
      paid = await shop.orders.placed(eraser.accessToken, [{ productId: product.id, quantity: 1 }]);
      await shop.orders.paid(eraser.accessToken, paid.id);
      const res = await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(eraser.accessToken) });
      expect(res.status).toBe(204);
    });

    it('keeps the orders as financial records with userId null (admin GET /orders/{id})', async () => {
      for (const kept of [pending, cancelled, paid]) {
        const order = await shop.orders.read(admin.accessToken, kept.id);
        expect(order).toMatchObject({ id: kept.id, userId: null, total: kept.total, items: kept.items });
      }
      const res = await shop.orders.adminList(admin.accessToken, 'status=paid&limit=100');
      expect((res.body.items as Order[]).find((o) => o.id === paid.id)?.userId).toBeNull();
    });

    it('no kept order mentions the erased user’s id anywhere, not even in its history', async () => {
      for (const kept of [pending, cancelled, paid]) {
        const order = await shop.orders.read(admin.accessToken, kept.id);
        expect(JSON.stringify(order), `order ${kept.id}`).not.toContain(eraser.user.id);
      }
    });

    it('leaves no item in the table that mentions the erased user’s id (idempotency records included)', async () => {
      const reader = tableReader(shop.backend);
      try {
        const left = await reader.itemsMentioning(eraser.user.id);
        expect(left.map((item) => `${String(item.pk)} ${String(item.sk)}`)).toEqual([]);
      } finally {
        reader.close();
      }
    });
  });
});

describe('order expiry through the local API (a payment window of 60 ms)', () => {
  const shop = useShop({ environment: { ORDER_PAYMENT_WINDOW_MINUTES: '0.001' } });
  let admin: Session;
  let customer: Session;

  beforeAll(async () => {
    [admin, customer] = await shop.adminAnd('late-payer');
  });

  it('expires an unpaid order past its window when the schedule runs: status expired, stock back, listed by admin', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 4 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 3 }]);
    expect(Date.parse(placed.expiresAt) - Date.parse(placed.createdAt)).toBe(60);
    expect(await shop.orders.stockOf(product.id)).toBe(1);
    await sleep(150);

    const runs = await shop.backend.runSchedules();
    expect(runs.every((run) => run.ok)).toBe(true);
    const sweep = runs.find((run) => run.functionLogicalId.startsWith('OrdersExpireOrders'));
    expect(Number((sweep?.result as { expired?: number } | undefined)?.expired)).toBeGreaterThanOrEqual(1);

    const expired = await shop.orders.read(customer.accessToken, placed.id);
    expect(expired.status).toBe('expired');
    expect(historyTypes(expired)).toEqual(['created', 'expired']);
    expect(await shop.orders.stockOf(product.id)).toBe(4);

    const listed = await shop.orders.adminList(admin.accessToken, 'status=expired');
    expect(listed.status).toBe(200);
    expect((listed.body.items as Order[]).map((o) => o.id)).toContain(placed.id);
    const pendingList = await shop.orders.adminList(admin.accessToken, 'status=pending_payment&limit=100');
    expect((pendingList.body.items as Order[]).map((o) => o.id)).not.toContain(placed.id);

    expectProblem(await shop.orders.pay(customer.accessToken, placed.id, 'pm_card_visa'), 409);
    expectProblem(await shop.orders.cancel(customer.accessToken, placed.id), 409);

    // A second sweep finds nothing more to do with it: the stock is returned once.
    await shop.backend.runSchedules();
    expect(await shop.orders.stockOf(product.id)).toBe(4);
  });

  it('does not expire an order paid before the sweep', async () => {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 4 });
    const placed = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
    const paid = await shop.orders.paid(customer.accessToken, placed.id);
    expect(paid.status).toBe('paid');
    await sleep(100);
    await shop.backend.runSchedules();
    expect((await shop.orders.read(customer.accessToken, placed.id)).status).toBe('paid');
    expect(await shop.orders.stockOf(product.id)).toBe(3);
  });
});
