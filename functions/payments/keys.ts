/*
 * Key templates of the payments domain, the only place they are spelled. A payment attempt is
 * part of its order's item (functions/orders/keys.ts); these are the items payments keep on
 * their own. See docs/access-patterns.md.
 */

/** The record that a provider event was processed (exactly once). */
export const processedEventKey = (eventId: string) => ({
  pk: `PAYMENT_EVENT#${eventId}`,
  sk: 'PAYMENT_EVENT',
});
/** The simulated provider's delayed events, due oldest first. */
export const OUTBOX_PARTITION = 'SIMULATED_PAYMENT_OUTBOX';
export const outboxKey = (dueAt: string, providerPaymentId: string) => ({
  pk: OUTBOX_PARTITION,
  sk: `${dueAt}#${providerPaymentId}`,
});
/** The idempotency scope of paying an order (functions/core/keys.ts: `<scope>#<key>`). */
export const PAY_ORDER_SCOPE = 'pay-order';
/** A 3-D Secure challenge of the simulated provider, waiting for the customer (local and dev only). */
export const simulatedChallengeKey = (providerPaymentId: string) => ({
  pk: `SIMULATED_CHALLENGE#${providerPaymentId}`,
  sk: 'SIMULATED_CHALLENGE',
});
