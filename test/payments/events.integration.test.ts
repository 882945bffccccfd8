import { beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../functions/orders/model.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { getOrder } from '../../functions/orders/store.ts';
import { claimPaymentAttempt, recordPaymentOutcome } from '../../functions/payments/payment-store.ts';
import { applyPaymentEvent } from '../../functions/payments/service.ts';
import type { PaymentEvent } from '../../functions/payments/webhook.ts';
import { quietLogger } from '../support/logs.ts';
import { storedProduct } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

let counter = 0;

/** A fresh order whose first payment attempt is pending at the provider as `pi_test_<n>`. */
async function pendingOrder(price = 1500): Promise<Order> {
  const product = await storedProduct({ stock: 5, price });
  const userId = (await aUser('payer')).id;
  const { order } = await createOrder(
    userId,
    { items: [{ productId: product.id, quantity: 1 }] },
    `order-${++counter}`,
  );
  const claim = await claimPaymentAttempt(userId, order.id, 'pm_card_pending', `pay-${counter}`);
  if (claim.replayed) throw new Error('A fresh key cannot be a replay.');
  await recordPaymentOutcome(
    order.id,
    { ...claim.payment, status: 'pending', providerPaymentId: `pi_test_${order.id}` },
    {},
  );
  return (await getOrder(order.id)) as Order;
}

/** The provider's event about the order's current payment, as the webhook parses it. */
const eventAbout = (order: Order, overrides: Partial<PaymentEvent> = {}): PaymentEvent => ({
  id: `evt_test_${order.id}_${++counter}`,
  type: 'payment.succeeded',
  providerType: 'payment_intent.succeeded',
  orderId: order.id,
  attempt: 1,
  providerPaymentId: String(order.payment?.providerPaymentId),
  amount: order.total,
  currency: order.currency,
  created: Math.floor(Date.now() / 1000),
  ...overrides,
});

describe('applying payment events (DynamoDB Local)', () => {
  beforeAll(async () => {
    await useFreshTable();
  });

  describe('a success must carry the order’s exact amount and currency, else it is not applied', () => {
    type Money = {
      readonly drop?: readonly ('amount' | 'currency')[];
      readonly amount?: number;
      readonly currency?: string;
    };
    it.each<[string, Money]>([
      ['without an amount', { drop: ['amount'] }],
      ['without a currency', { drop: ['currency'] }],
      ['with neither', { drop: ['amount', 'currency'] }],
      ['with amount 1 and no currency', { amount: 1, drop: ['currency'] }],
      ['with the right amount in another currency', { currency: 'USD' }],
      ['with one cent less', { amount: 1499 }],
    ])('%s', async (_label, money) => {
      const order = await pendingOrder(1500);
      const event: PaymentEvent = {
        ...eventAbout(order),
        ...(money.amount !== undefined ? { amount: money.amount } : {}),
        ...(money.currency !== undefined ? { currency: money.currency } : {}),
      };
      for (const field of money.drop ?? []) delete (event as { amount?: number; currency?: string })[field];
      const logs = quietLogger();
      expect(await applyPaymentEvent(event)).toBe('processed');
      const after = (await getOrder(order.id)) as Order;
      expect(after.status).toBe('pending_payment');
      expect(after.payment).toEqual(order.payment);
      expect(after.history.at(-1)?.detail).toMatchObject({ eventId: event.id, note: 'amount mismatch' });
      // For an operator, as any mismatch.
      expect(logs.error).toHaveBeenCalledWith(
        'payment event amount does not match the order',
        expect.objectContaining({ orderId: order.id, eventId: event.id }),
      );
      // Redelivered, it is a duplicate.
      expect(await applyPaymentEvent(event)).toBe('duplicate');
    });

    it('pays the order on a success with its exact amount and currency', async () => {
      const order = await pendingOrder();
      expect(await applyPaymentEvent(eventAbout(order))).toBe('processed');
      expect((await getOrder(order.id))?.status).toBe('paid');
    });
  });

  describe('parallel deliveries of one event: exactly one is processed, every other is a duplicate', () => {
    it.each([
      ['a success', 'payment.succeeded', 'paid'],
      ['a failure', 'payment.failed', 'pending_payment'],
    ] as const)('%s, delivered 12 times at once (5 rounds)', async (_label, type, status) => {
      for (let round = 1; round <= 5; round++) {
        const order = await pendingOrder();
        const event = eventAbout(order, {
          type,
          ...(type === 'payment.failed' ? { failureReason: 'card_declined' } : {}),
        });
        const outcomes = await Promise.all(Array.from({ length: 12 }, () => applyPaymentEvent(event)));
        const counts = { processed: 0, duplicate: 0, ignored: 0 };
        for (const outcome of outcomes) counts[outcome]++;
        expect(counts, `round ${round}`).toEqual({ processed: 1, duplicate: 11, ignored: 0 });
        const after = (await getOrder(order.id)) as Order;
        expect(after.status).toBe(status);
        const entries = after.history.filter((entry) => entry.detail?.eventId === event.id);
        expect(entries, `round ${round}: ${JSON.stringify(after.history)}`).toHaveLength(1);
      }
    });
  });
});
