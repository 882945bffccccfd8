import type { OrderStatus } from './model.ts';

/*
 * Key templates of the orders domain, the only place they are spelled (payments write the
 * payment part of the order item and the failed-refund list through them). See
 * docs/access-patterns.md.
 */

export const orderKey = (id: string) => ({ pk: `ORDER#${id}`, sk: 'ORDER' });
/** A customer's orders: gsi1 of the order items, and the partition of their order links. */
export const ordersOfUser = (userId: string) => `ORDERS_OF#${userId}`;
/**
 * The customer's link to an order, in a table partition of the customer's: written in the
 * order's own transaction, so a strongly consistent Query finds every order (gsi1 may lag).
 */
export const orderLinkKey = (userId: string, orderId: string) => ({ pk: ordersOfUser(userId), sk: orderId });
/** Orders in one status: gsi2 of the order items. */
export const ordersInStatus = (status: OrderStatus) => `ORDER_STATUS#${status}`;
/**
 * Orders with a refund that failed, until one succeeds: one item per order and provider
 * payment, in one partition (rare writes) that the admin listing reads newest first. A list
 * of orders like the status partitions, hence here; payments write it with the refund.
 */
export const REFUND_FAILURES = 'REFUND_FAILURES';
export const refundFailureKey = (orderId: string, providerPaymentId: string) => ({
  pk: REFUND_FAILURES,
  sk: `${orderId}#${providerPaymentId}`,
});
/** The idempotency scope of placing an order (functions/core/keys.ts: `<scope>#<key>`). */
export const CREATE_ORDER_SCOPE = 'create-order';
