import { logger } from '../core/logger.ts';
import { PoisonRecordError, streamHandler } from '../core/stream.ts';
import { orderFromStreamImage } from '../orders/store.ts';
import { applyPaidOrder, paidOrderOf, takeBackCancelledOrder } from './store.ts';

/**
 * DynamoDB Streams consumer that keeps the recommendation aggregates: an order becoming `paid`
 * adds to them, a paid order becoming `cancelled` takes exactly that back. The event source
 * mapping's filters let only those two changes through. Idempotent (a marker per order in the
 * same transaction as its effect), so redeliveries and replays change nothing.
 */
export const handler = streamHandler(async (change) => {
  if (change.eventName !== 'MODIFY' || !change.newImage || !change.oldImage) return;
  const order = orderFromStreamImage(change.newImage);
  if (!order || order.items.some((line) => line.quantity < 1)) {
    throw new PoisonRecordError('An order image that is not a well-formed order.');
  }
  const before = change.oldImage.status;
  let outcome: string;
  if (order.status === 'paid' && before !== 'paid') {
    outcome = await applyPaidOrder(paidOrderOf(order));
  } else if (order.status === 'cancelled' && before === 'paid') {
    outcome = await takeBackCancelledOrder(order);
  } else {
    return;
  }
  logger.info('recommendation aggregates updated', { orderId: order.id, status: order.status, outcome });
});
