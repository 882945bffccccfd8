import { Conflict, NotFound } from '../core/domain-errors.ts';
import { type Order, TRANSITIONS } from '../orders/model.ts';
import { getOrder, transitionOrder } from '../orders/store.ts';
import { owesRefund, refundPayment } from './service.ts';

/*
 * Cancelling an order: the orders domain's transition (stock returns) and, for an order that
 * was paid, the payments domain's refund. It lives here, in payments, because payments depend on
 * orders (they settle and refund orders through its store) and orders never on payments: a
 * cancellation in orders that refunds would close a loop (orders -> payments -> orders).
 */

/**
 * Cancels an order (owner or admin): stock returns; money taken is refunded. Cancelling twice
 * is fine, and retries a refund that failed the first time.
 */
export async function cancelOrder(
  who: { userId: string; isAdmin: boolean },
  orderId: string,
): Promise<Order> {
  const order = await getOrder(orderId);
  if (!order || (order.userId !== who.userId && !who.isAdmin))
    throw new NotFound(`No order with id ${orderId}.`);
  let cancelled = order;
  for (let round = 0; cancelled.status !== 'cancelled'; round++) {
    try {
      cancelled = await transitionOrder(orderId, 'cancel', { detail: { by: who.userId } });
    } catch (error) {
      const current = await getOrder(orderId);
      if (!(error instanceof Conflict && current)) throw error;
      // A parallel cancel won (cancelling is idempotent, so this one succeeded too), or the
      // order moved on (a webhook paid it) to a state it can still be cancelled from.
      const cancellable = (TRANSITIONS.cancel.from as readonly string[]).includes(current.status);
      if (current.status !== 'cancelled' && !(cancellable && round < 2)) throw error;
      cancelled = current;
    }
  }
  // Decided on the order as cancelled, not as first read: a payment may have settled between.
  if (owesRefund(cancelled)) await refundPayment(cancelled);
  return (await getOrder(orderId)) as Order;
}
