import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { beginErasure } from '../../functions/accounts/erasure-fence.ts';
import type { Product } from '../../functions/catalog/model.ts';
import { getProduct, putProduct, updateProduct } from '../../functions/catalog/store.ts';
import { table } from '../../functions/core/db.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { idempotencyRecordsOf } from '../../functions/core/idempotency.ts';
import { newId } from '../../functions/core/ids.ts';
import { orderKey } from '../../functions/orders/keys.ts';
import {
  dueUnpaidOrders,
  listOrdersByStatus,
  listOrdersOfUser,
} from '../../functions/orders/listings-store.ts';
import type { Order } from '../../functions/orders/model.ts';
import { allOrdersOfUser, anonymizeOrdersOfUser } from '../../functions/orders/personal-data-store.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { appendHistory, getOrder, transitionOrder } from '../../functions/orders/store.ts';
import { claimPaymentAttempt } from '../../functions/payments/payment-store.ts';
import { erasePersonalData } from '../../functions/privacy/personal-data.ts';
import { aProduct, storedProduct } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

const accounts = new Map<string, Promise<string>>();
/** The id of a test account named `label`, created on first use (orders need an open account). */
const userNamed = (label: string): Promise<string> => {
  if (!accounts.has(label))
    accounts.set(
      label,
      aUser(label).then((account) => account.id),
    );
  return accounts.get(label) as Promise<string>;
};

const statusOf = async (promise: Promise<unknown>): Promise<number> =>
  promise.then(
    () => 200,
    (error: unknown) => (error instanceof DomainError ? asHttpError(error).statusCode : 500),
  );

/** A fresh user's pending order of one unit of a fresh product. */
/** A new product of stock 5 in the table, and the user's order of `quantity` of it. */
async function anOrderOfFive(
  userId: string,
  quantity: number,
  key: string,
): Promise<{ product: Product; order: Order }> {
  const product = await storedProduct({ stock: 5 });
  const { order } = await createOrder(userId, { items: [{ productId: product.id, quantity }] }, key);
  return { product, order };
}

async function anOrderOfNewUser(prefix: string, key: string): Promise<{ userId: string; order: Order }> {
  const userId = (await aUser(prefix)).id;
  const { order } = await anOrderOfFive(userId, 1, key);
  return { userId, order };
}

describe('orders store', () => {
  beforeAll(async () => {
    await useFreshTable();
  });

  describe('createOrder', () => {
    it('sells exactly the stock when 50 orders race for a product with stock 10', async () => {
      const product = await storedProduct({ stock: 10 });
      const racers = await Promise.all(Array.from({ length: 50 }, (_, i) => userNamed(`racer-${i}`)));
      const results = await Promise.all(
        racers.map((racer, i) =>
          statusOf(createOrder(racer, { items: [{ productId: product.id, quantity: 1 }] }, `key-race-${i}`)),
        ),
      );
      expect(results.filter((s) => s === 200)).toHaveLength(10);
      expect(results.filter((s) => s === 409)).toHaveLength(40);
      expect((await getProduct(product.id))?.stock).toBe(0);
    });

    it('snapshots prices from the catalog and totals the lines', async () => {
      const a = aProduct({ price: 1000, stock: 5 });
      const b = aProduct({ price: 250, stock: 5 });
      await Promise.all([putProduct(a), putProduct(b)]);
      const { order } = await createOrder(
        await userNamed('buyer'),
        {
          items: [
            { productId: a.id, quantity: 2 },
            { productId: b.id, quantity: 3 },
          ],
        },
        'key-prices',
      );
      expect(order.items).toEqual([
        { productId: a.id, name: a.name, unitPrice: 1000, quantity: 2, lineTotal: 2000 },
        { productId: b.id, name: b.name, unitPrice: 250, quantity: 3, lineTotal: 750 },
      ]);
      expect(order).toMatchObject({ status: 'pending_payment', total: 2750, currency: 'EUR' });
      expect((await getProduct(a.id))?.stock).toBe(3);
    });

    it('answers a replayed key with the original order and a different body with 422', async () => {
      const product = await storedProduct({ stock: 5 });
      const first = await createOrder(
        await userNamed('replayer'),
        { items: [{ productId: product.id, quantity: 1 }] },
        'key-replay',
      );
      const again = await createOrder(
        await userNamed('replayer'),
        { items: [{ productId: product.id, quantity: 1 }] },
        'key-replay',
      );
      expect(again).toEqual({ order: first.order, replayed: true });
      expect(
        await statusOf(
          createOrder(
            await userNamed('replayer'),
            { items: [{ productId: product.id, quantity: 2 }] },
            'key-replay',
          ),
        ),
      ).toBe(422);
      // Keys are per caller: another user may use the same key.
      expect(
        (
          await createOrder(
            await userNamed('someone-else'),
            { items: [{ productId: product.id, quantity: 1 }] },
            'key-replay',
          )
        ).replayed,
      ).toBe(false);
      expect((await getProduct(product.id))?.stock).toBe(3);
    });

    it('creates one order when 10 requests with one key race', async () => {
      const product = await storedProduct({ stock: 20 });
      const buyer = await userNamed('same-key');
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          createOrder(buyer, { items: [{ productId: product.id, quantity: 1 }] }, 'key-same'),
        ),
      );
      expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
      expect((await getProduct(product.id))?.stock).toBe(19);
    });

    it('refuses unknown products and mixed currencies with 422, writing nothing', async () => {
      const eur = aProduct({ stock: 5 });
      const usd = aProduct({ stock: 5, currency: 'USD' });
      await Promise.all([putProduct(eur), putProduct(usd)]);
      expect(
        await statusOf(
          createOrder(await userNamed('u'), { items: [{ productId: newId(), quantity: 1 }] }, 'key-unknown'),
        ),
      ).toBe(422);
      expect(
        await statusOf(
          createOrder(
            await userNamed('u'),
            {
              items: [
                { productId: eur.id, quantity: 1 },
                { productId: usd.id, quantity: 1 },
              ],
            },
            'key-mixed',
          ),
        ),
      ).toBe(422);
      expect((await getProduct(eur.id))?.stock).toBe(5);
    });

    it('re-prices when the product changed between read and write, never selling at a stale price', async () => {
      const product = await storedProduct({ stock: 5, price: 100 });
      await updateProduct(product.id, { price: 120 });
      const { order } = await createOrder(
        await userNamed('u'),
        { items: [{ productId: product.id, quantity: 1 }] },
        'key-reprice',
      );
      expect(order.items[0]?.unitPrice).toBe(120);
    });
  });

  describe('transitions', () => {
    it('lets exactly one of racing cancel and ship win on a paid order', async () => {
      const { product, order } = await anOrderOfFive(await userNamed('racer'), 2, 'key-cancel-ship');
      await transitionOrder(order.id, 'pay');
      const results = await Promise.all([
        statusOf(transitionOrder(order.id, 'cancel')),
        statusOf(transitionOrder(order.id, 'ship')),
      ]);
      expect(results.sort()).toEqual([200, 409]);
      const final = await getOrder(order.id);
      expect((await getProduct(product.id))?.stock).toBe(final?.status === 'cancelled' ? 5 : 3);
    });

    it('refuses illegal transitions with 409 and returns stock when an unpaid order is cancelled', async () => {
      const { product, order } = await anOrderOfFive(await userNamed('u'), 4, 'key-illegal');
      expect(await statusOf(transitionOrder(order.id, 'ship'))).toBe(409);
      expect(await statusOf(transitionOrder(order.id, 'deliver'))).toBe(409);
      await transitionOrder(order.id, 'cancel');
      expect((await getProduct(product.id))?.stock).toBe(5);
      expect(await statusOf(transitionOrder(order.id, 'pay'))).toBe(409);
      expect((await getOrder(order.id))?.history.map((h) => h.type)).toEqual(['created', 'cancelled']);
    });
  });

  describe('listings and expiry', () => {
    it('lists a user’s orders newest first and orders by status', async () => {
      const product = await storedProduct({ stock: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (
            await createOrder(
              await userNamed('lister'),
              { items: [{ productId: product.id, quantity: 1 }] },
              `key-list-${i}`,
            )
          ).order.id,
        );
      }
      const page = await listOrdersOfUser(await userNamed('lister'), 2);
      expect(page.items.map((o) => o.id)).toEqual([ids[2], ids[1]]);
      const next = await listOrdersOfUser(await userNamed('lister'), 2, page.nextCursor ?? undefined);
      expect(next.items.map((o) => o.id)).toEqual([ids[0]]);
      await transitionOrder(ids[0] as string, 'pay');
      expect((await listOrdersByStatus('paid', 100)).items.map((o) => o.id)).toContain(ids[0]);
    });

    it('finds orders past their payment window by a Query, not the fresh ones', async () => {
      const product = await storedProduct({ stock: 10 });
      const { order } = await createOrder(
        await userNamed('late'),
        { items: [{ productId: product.id, quantity: 1 }] },
        'key-due',
      );
      expect((await dueUnpaidOrders(new Date())).orders.map((o) => o.id)).not.toContain(order.id);
      const later = new Date(Date.now() + 31 * 60_000);
      expect((await dueUnpaidOrders(later)).orders.map((o) => o.id)).toContain(order.id);
    });
  });

  describe('account erasure', () => {
    it('unlinks the orders from the user and scrubs the user id from their history, keeping the records', async () => {
      const { userId, order } = await anOrderOfNewUser('erased', 'k-erase');
      await transitionOrder(order.id, 'cancel', { detail: { by: userId } });
      expect(await idempotencyRecordsOf(userId)).toHaveLength(1);

      await erasePersonalData(userId);

      const kept = await getOrder(order.id);
      expect(kept).toMatchObject({ id: order.id, userId: null, status: 'cancelled', total: order.total });
      expect(JSON.stringify(kept)).not.toContain(userId);
      expect(kept?.history.map((h) => h.type)).toEqual(['created', 'cancelled', 'customer_erased']);
      expect(await allOrdersOfUser(userId)).toEqual([]);
      expect(await idempotencyRecordsOf(userId)).toEqual([]);
    });

    it('refuses an order once the erasure began (404, no stock taken) and unlinks every order placed before', async () => {
      const { userId, order } = await anOrderOfNewUser('fenced', 'k-fence');
      const product = await storedProduct({ stock: 5 });
      await beginErasure(userId);
      expect(
        await statusOf(
          createOrder(userId, { items: [{ productId: product.id, quantity: 1 }] }, 'k-fence-late'),
        ),
      ).toBe(404);
      expect((await getProduct(product.id))?.stock).toBe(5);
      expect((await allOrdersOfUser(userId)).map((o) => o.id)).toEqual([order.id]);
      await anonymizeOrdersOfUser(userId);
      expect((await getOrder(order.id))?.userId).toBeNull();
      expect(await allOrdersOfUser(userId)).toEqual([]);
      // An interrupted erasure runs again without harm.
      await anonymizeOrdersOfUser(userId);
      expect((await getOrder(order.id))?.history.filter((h) => h.type === 'customer_erased')).toHaveLength(1);
    });

    it('loses no history entry appended while the history is being scrubbed', async () => {
      const { userId, order } = await anOrderOfNewUser('erased', 'k-race');
      await Promise.all([
        anonymizeOrdersOfUser(userId),
        ...Array.from({ length: 5 }, (_, i) => appendHistory(order.id, 'provider_event', { n: i })),
      ]);
      const kept = await getOrder(order.id);
      expect(kept?.history.filter((h) => h.type === 'provider_event')).toHaveLength(5);
      expect(kept?.history.filter((h) => h.type === 'customer_erased')).toHaveLength(1);
      expect(kept?.userId).toBeNull();
    });
  });

  describe('payment attempts', () => {
    /** Moves the current attempt's start into the past, as if its function had died then. */
    async function startedMinutesAgo(orderId: string, minutes: number): Promise<void> {
      const { client, tableName } = table();
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          UpdateExpression: 'SET payment.startedAt = :at',
          ExpressionAttributeValues: { ':at': new Date(Date.now() - minutes * 60_000).toISOString() },
        }),
      );
    }

    it('re-sends an attempt abandoned in processing (its function died mid-charge) under the same attempt, once', async () => {
      const { userId, order } = await anOrderOfNewUser('payer', 'k-stale');
      const first = await claimPaymentAttempt(userId, order.id, 'pm_card_visa', 'pay-key-1');
      expect(first).toMatchObject({ replayed: false, payment: { attempt: 1, status: 'processing' } });
      // While it may still be running, another request cannot start a charge.
      expect(await statusOf(claimPaymentAttempt(userId, order.id, 'pm_card_visa', 'pay-key-2'))).toBe(409);

      await startedMinutesAgo(order.id, 2);
      const racing = await Promise.allSettled(
        ['pay-key-3', 'pay-key-4', 'pay-key-5'].map((key) =>
          claimPaymentAttempt(userId, order.id, 'pm_card_visa', key),
        ),
      );
      const resent = racing.filter((r) => r.status === 'fulfilled' && !r.value.replayed);
      expect(resent).toHaveLength(1);
      expect(resent[0]).toMatchObject({ value: { payment: { attempt: 1, paymentMethod: 'pm_card_visa' } } });
      expect(
        racing.filter((r) => r.status === 'rejected').map((r) => asHttpError(r.reason).statusCode),
      ).toEqual([409, 409]);
      const current = await getOrder(order.id);
      expect(current?.history.map((h) => h.type)).toEqual(['created', 'payment_started', 'payment_resent']);
    });

    it('answers a repeat of the first request’s key by re-sending its abandoned attempt', async () => {
      const { userId, order } = await anOrderOfNewUser('payer', 'k-stale-2');
      await claimPaymentAttempt(userId, order.id, 'pm_card_visa', 'same-key');
      expect(await claimPaymentAttempt(userId, order.id, 'pm_card_visa', 'same-key')).toMatchObject({
        replayed: true,
      });
      await startedMinutesAgo(order.id, 2);
      expect(await claimPaymentAttempt(userId, order.id, 'pm_card_visa', 'same-key')).toMatchObject({
        replayed: false,
        payment: { attempt: 1, status: 'processing' },
      });
    });
  });

  describe('expiry paging', () => {
    it('pages through due orders oldest first, each once', async () => {
      const product = await storedProduct({ stock: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const placed = await createOrder(
          await userNamed('pager'),
          { items: [{ productId: product.id, quantity: 1 }] },
          `k-page-${i}`,
        );
        ids.push(placed.order.id);
      }
      const later = new Date(Date.now() + 31 * 60_000);
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page++) {
        const due = await dueUnpaidOrders(later, 1, after);
        seen.push(...due.orders.map((o) => o.id));
        after = due.next;
        if (!after) break;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
      expect([...seen].sort()).toEqual(seen);
    });
  });
});
