import { isConditionFailure } from '../core/db.ts';
import { HttpError, notFound } from '../core/errors.ts';
import { logger } from '../core/logger.ts';
import type { Order, Payment } from '../orders/model.ts';
import {
  appendHistory,
  chargeKey,
  claimPaymentAttempt,
  claimPaymentEvent,
  getOrder,
  paymentEventProcessed,
  recordPaymentEventOnly,
  recordPaymentOutcome,
  transitionOrder,
} from '../orders/store.ts';
import { PaymentProviderError, paymentProvider } from './provider.ts';
import { simulatedPendingCompletion } from './simulated.ts';
import { queueSimulatedEvent } from './store.ts';
import type { PaymentEvent } from './webhook.ts';

/** How long the simulated provider takes to settle a pending payment. */
const SIMULATED_SETTLE_SECONDS = Number(process.env.SIMULATED_SETTLE_SECONDS ?? 5);

/**
 * The 502 a client sees when the provider failed. Its detail is written for the client (hence
 * exposed): after no answer the outcome is unknown, and repeating the request with the same
 * Idempotency-Key re-sends the very same charge; after a refusal nothing was charged.
 */
const providerFailed = (cause: unknown, definite: boolean) =>
  new HttpError(
    502,
    'payment-provider-error',
    'Payment provider error',
    definite
      ? 'The payment provider refused the request; nothing was charged. Pay again with a new Idempotency-Key.'
      : 'The payment provider did not answer, so the outcome is unknown. Retry with the same Idempotency-Key: the same charge is re-sent, never a second one.',
    { cause, expose: true },
  );

/**
 * Pays an order: claims the single charge slot (idempotently), charges through the
 * environment's provider with a per-attempt provider idempotency key, and settles the order.
 * A webhook may settle it first; whichever write comes second changes nothing.
 */
export async function payOrder(
  userId: string,
  orderId: string,
  paymentMethod: string,
  idempotencyKey: string,
): Promise<Order> {
  const claimed = await claimPaymentAttempt(userId, orderId, paymentMethod, idempotencyKey);
  if (claimed.replayed) return claimed.order;
  const { order, payment } = claimed;
  const provider = paymentProvider();
  const request = {
    orderId,
    amount: order.total,
    currency: order.currency,
    paymentMethod: payment.paymentMethod,
    idempotencyKey: chargeKey(orderId, payment.attempt),
  };
  let result: Awaited<ReturnType<typeof provider.charge>>;
  try {
    result = await provider.charge(request);
  } catch (error) {
    if (!(error instanceof PaymentProviderError)) throw error;
    // A 4xx from the provider means nothing was charged: the attempt failed for good. No
    // answer or a 5xx means we cannot know: the next try re-sends this very attempt.
    const definite = error.providerStatus !== undefined && error.providerStatus < 500;
    await recordPaymentOutcome(
      orderId,
      {
        ...payment,
        status: definite ? 'failed' : 'error',
        ...(definite ? { failureReason: 'provider_rejected' } : {}),
      },
      { reason: definite ? 'provider rejected the request' : 'provider unavailable' },
    );
    throw providerFailed(error, definite);
  }
  const settled: Payment = {
    ...payment,
    status: result.status,
    providerPaymentId: result.providerPaymentId,
    ...(result.failureReason ? { failureReason: result.failureReason } : {}),
  };
  if (result.status === 'succeeded') {
    await settlePaid(orderId, settled, { providerPaymentId: result.providerPaymentId });
  } else {
    await recordPaymentOutcome(orderId, settled, {
      providerPaymentId: result.providerPaymentId,
      ...(result.failureReason ? { reason: result.failureReason } : {}),
    });
    if (result.status === 'pending' && provider.name === 'simulated') {
      const body = simulatedPendingCompletion({ ...request, providerPaymentId: result.providerPaymentId });
      await queueSimulatedEvent(
        new Date(Date.now() + SIMULATED_SETTLE_SECONDS * 1000),
        result.providerPaymentId,
        body,
      );
    }
  }
  return (await getOrder(orderId)) as Order;
}

/** pending_payment -> paid for a successful charge; money taken for an order that died meanwhile goes back. */
async function settlePaid(
  orderId: string,
  payment: Payment,
  detail: Record<string, unknown>,
  alsoWrite?: Record<string, unknown>[],
): Promise<void> {
  try {
    await transitionOrder(orderId, 'pay', {
      set: { payment },
      detail,
      ...(alsoWrite ? { alsoWrite } : {}),
    });
  } catch (error) {
    if (!(error instanceof HttpError && error.statusCode === 409)) throw error;
    const current = await getOrder(orderId);
    if (
      current &&
      (current.status === 'cancelled' || current.status === 'expired') &&
      !current.payment?.refund
    ) {
      logger.warn('charge succeeded for an order that is no longer payable; refunding', {
        orderId,
        status: current.status,
      });
      await refundPayment({ ...current, payment });
    }
  }
}

/** Asks the provider to return an order's payment; the outcome lands in the order's history. */
export async function refundPayment(order: Order): Promise<void> {
  const payment = order.payment;
  if (!payment?.providerPaymentId) return;
  try {
    const refund = await paymentProvider().refund({
      orderId: order.id,
      providerPaymentId: payment.providerPaymentId,
      amount: order.total,
      currency: order.currency,
      idempotencyKey: `refund-${order.id}`,
    });
    await appendHistory(
      order.id,
      'refund_requested',
      { providerRefundId: refund.providerRefundId, status: refund.status },
      {
        payment: { ...payment, refund: { status: refund.status, providerRefundId: refund.providerRefundId } },
      },
    );
  } catch (error) {
    // The order stays cancelled; the failed refund is in its history and the logs for an operator.
    logger.error('refund failed', {
      orderId: order.id,
      error: error instanceof Error ? error.message : String(error),
    });
    await appendHistory(
      order.id,
      'refund_failed',
      {},
      { payment: { ...payment, refund: { status: 'failed' } } },
    );
  }
}

/** Cancels an order (owner or admin): stock returns; a paid order is refunded. Cancelling twice is fine. */
export async function cancelOrder(
  who: { userId: string; isAdmin: boolean },
  orderId: string,
): Promise<Order> {
  const order = await getOrder(orderId);
  if (!order || (order.userId !== who.userId && !who.isAdmin)) throw notFound(`No order with id ${orderId}.`);
  if (order.status === 'cancelled') return order;
  let cancelled: Order;
  try {
    cancelled = await transitionOrder(orderId, 'cancel', { detail: { by: who.userId } });
  } catch (error) {
    // A parallel cancel won the race: cancelling is idempotent, so this one succeeded too.
    const current = await getOrder(orderId);
    if (error instanceof HttpError && error.statusCode === 409 && current?.status === 'cancelled')
      return current;
    throw error;
  }
  if (order.status === 'paid') await refundPayment(cancelled);
  return (await getOrder(orderId)) as Order;
}

/**
 * Applies one verified provider event, exactly once: the record that the event was
 * processed is written in the same transaction as its effect. Replays, duplicates delivered
 * in parallel and out-of-order events change nothing further.
 */
export async function applyPaymentEvent(event: PaymentEvent): Promise<'processed' | 'duplicate' | 'ignored'> {
  if (await paymentEventProcessed(event.id)) return 'duplicate';
  const detail = { eventId: event.id, type: event.providerType, providerPaymentId: event.providerPaymentId };
  const order = event.orderId ? await getOrder(event.orderId) : undefined;
  const payment = order?.payment;
  const samePayment =
    payment?.providerPaymentId === undefined || payment.providerPaymentId === event.providerPaymentId;
  try {
    if (
      order &&
      payment &&
      samePayment &&
      event.type === 'payment.succeeded' &&
      order.status === 'pending_payment'
    ) {
      await settlePaid(
        order.id,
        { ...payment, status: 'succeeded', providerPaymentId: event.providerPaymentId },
        detail,
        [claimPaymentEvent(event.id, detail)],
      );
      // If the order moved on meanwhile, the claim above was not written: record the event now
      // (a no-op when the transition went through), so a redelivery finds it processed.
      await recordPaymentEventOnly(event.id, order.id, detail);
      return 'processed';
    }
    if (
      order &&
      payment &&
      samePayment &&
      event.type === 'payment.succeeded' &&
      ['cancelled', 'expired'].includes(order.status) &&
      !payment.refund
    ) {
      // Settled after the order died (e.g. a slow payment): give the money back.
      if (!(await recordPaymentEventOnly(event.id, order.id, detail))) return 'duplicate';
      await refundPayment({ ...order, payment: { ...payment, providerPaymentId: event.providerPaymentId } });
      return 'processed';
    }
    if (
      order &&
      payment &&
      samePayment &&
      event.type === 'payment.failed' &&
      ['processing', 'pending'].includes(payment.status)
    ) {
      if (!(await recordPaymentEventOnly(event.id, order.id, detail))) return 'duplicate';
      await recordPaymentOutcome(
        order.id,
        { ...payment, status: 'failed', failureReason: event.failureReason ?? 'failed' },
        { ...detail, reason: event.failureReason ?? 'failed' },
      );
      return 'processed';
    }
    if (order && payment && event.type === 'payment.refunded') {
      if (!(await recordPaymentEventOnly(event.id, order.id, detail))) return 'duplicate';
      await appendHistory(order.id, 'refunded', detail, {
        payment: { ...payment, refund: { ...payment.refund, status: 'succeeded' } },
      });
      return 'processed';
    }
  } catch (error) {
    if (isConditionFailure(error, 1)) return 'duplicate';
    throw error;
  }
  return (await recordPaymentEventOnly(event.id, order?.id, { ...detail, note: 'no effect' }))
    ? 'ignored'
    : 'duplicate';
}
