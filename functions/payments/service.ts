import { isConditionFailure } from '../core/db.ts';
import { Conflict, ProviderFailed } from '../core/domain-errors.ts';
import { logger } from '../core/logger.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { countMetric, dimensionedMetric, MINOR_UNITS } from '../core/metrics.ts';
import { type Order, type Payment, withoutPendingAction } from '../orders/model.ts';
import { getOrder, transitionOrder } from '../orders/store.ts';
import {
  chargeKey,
  claimPaymentAttempt,
  claimPaymentEvent,
  markRefundFailed,
  paymentEventProcessed,
  recordPaymentEventOnly,
  recordPaymentOutcome,
  recordRefund,
} from './payment-store.ts';
import {
  type ChargeResult,
  type CustomerAction,
  type FoundPayment,
  type PaymentProvider,
  PaymentProviderError,
  refusedOutright,
} from './provider.ts';
import { paymentProvider } from './providers.ts';
import type { PaymentEvent } from './webhook.ts';

/**
 * What a client is told when the provider failed (a 502 whose detail is written for them):
 * after no answer the outcome is unknown, and repeating the request with the same
 * Idempotency-Key re-sends the very same charge; after a refusal nothing was charged.
 */
const providerFailed = (cause: unknown, definite: boolean) =>
  new ProviderFailed(
    definite
      ? 'The payment provider refused the request; nothing was charged. Pay again with a new Idempotency-Key.'
      : 'The payment provider did not answer, so the outcome is unknown. Retry with the same Idempotency-Key: the same charge is re-sent, never a second one.',
    { cause },
  );

/**
 * Pays an order: claims the single charge slot (idempotently), charges through the
 * environment's provider with a per-attempt provider idempotency key, and settles the order.
 * A webhook may settle it first; whichever write comes second changes nothing. An order with
 * nothing to charge (a total of 0) is settled without the provider, which would refuse to
 * charge 0, through the same claim, so it is just as idempotent.
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
  if (order.total === 0) {
    await settlePaid(
      orderId,
      { ...payment, status: 'succeeded' },
      { reason: 'nothing to charge: the total is 0' },
    );
    return (await getOrder(orderId)) as Order;
  }
  const request = {
    orderId,
    attempt: payment.attempt,
    amount: order.total,
    currency: order.currency,
    paymentMethod: payment.paymentMethod,
    idempotencyKey: chargeKey(orderId, payment.attempt),
  };
  let result: ChargeResult;
  try {
    result = await paymentProvider().charge(request);
  } catch (error) {
    // Refused outright: nothing was charged, the attempt failed for good. Anything else (no
    // answer, a 5xx, even our own failure before or during the call) may have charged: the
    // attempt is marked unknown and the next request re-sends it under the same provider key.
    const definite = refusedOutright(error);
    await recordPaymentOutcome(
      orderId,
      {
        ...payment,
        status: definite ? 'failed' : 'error',
        ...(definite ? { failureReason: 'provider_rejected' } : {}),
      },
      { reason: definite ? 'provider rejected the request' : 'outcome unknown' },
    );
    if (error instanceof PaymentProviderError) throw providerFailed(error, definite);
    throw error;
  }
  const settled: Payment = {
    ...payment,
    status: result.status,
    providerPaymentId: result.providerPaymentId,
    ...(result.failureReason ? { failureReason: result.failureReason } : {}),
    // 3-D Secure: what the customer's app needs to authenticate (kept while it waits for that).
    ...(result.action ? actionFields(result.action) : {}),
  };
  if (result.status === 'succeeded') {
    await settlePaid(orderId, settled, { providerPaymentId: result.providerPaymentId });
  } else {
    const recorded = await recordPaymentOutcome(orderId, settled, {
      providerPaymentId: result.providerPaymentId,
      ...(result.failureReason ? { reason: result.failureReason } : {}),
    });
    // Counted where the decline is recorded, so a webhook that recorded it first is not counted twice.
    if (recorded && result.status === 'failed') countMetric(BUSINESS_METRICS.PaymentDeclined);
  }
  return (await getOrder(orderId)) as Order;
}

/** A customer action as an attempt stores it. */
const actionFields = (action: CustomerAction): Pick<Payment, 'clientSecret' | 'nextAction'> => ({
  clientSecret: action.clientSecret,
  ...(action.nextAction ? { nextAction: action.nextAction } : {}),
});

/**
 * pending_payment -> paid for a successful charge. If the order died meanwhile (cancelled,
 * expired) the money goes back; `alsoWrite` is written only with the transition. Returns
 * `unknown` when that refund could not be asked (the caller must make sure it is retried).
 */
async function settlePaid(
  orderId: string,
  payment: Payment,
  detail: Record<string, unknown>,
  alsoWrite?: Record<string, unknown>[],
): Promise<'paid' | 'not payable' | 'refunded' | 'refused' | 'unknown'> {
  try {
    const paid = await transitionOrder(orderId, 'pay', {
      set: { payment: withoutPendingAction(payment) },
      detail,
      ...(alsoWrite ? { alsoWrite } : {}),
    });
    dimensionedMetric(
      BUSINESS_METRICS.OrderPaid,
      { name: 'currency', value: paid.currency },
      paid.total,
      MINOR_UNITS,
    );
    return 'paid';
  } catch (error) {
    if (!(error instanceof Conflict)) throw error;
    const current = await getOrder(orderId);
    // Still payable: the conflict outlasted its retries, it was not a lost race.
    if (!current || current.status === 'pending_payment') throw error;
    const refunded = current.payment?.refund !== undefined && current.payment.refund.status !== 'failed';
    if ((current.status !== 'cancelled' && current.status !== 'expired') || refunded) return 'not payable';
    logger.warn('charge succeeded for an order that is no longer payable; refunding', {
      orderId,
      status: current.status,
    });
    return refundPayment({ ...current, payment });
  }
}

/** Whether an order holds money that must go back (it was cancelled or expired after a charge). */
export const owesRefund = (order: Order): boolean =>
  order.payment?.status === 'succeeded' &&
  order.payment.providerPaymentId !== undefined &&
  (order.payment.refund === undefined || order.payment.refund.status === 'failed');

/**
 * Asks the provider to return an order's payment; the outcome lands on the payment and in the
 * history. The provider key is the payment's own, so repeating this (a second cancel, a
 * redelivered webhook) never refunds twice. `unknown` when the provider could not be asked
 * (worth retrying), `refused` when it said no (an operator must look).
 */
export async function refundPayment(order: Order): Promise<'refunded' | 'refused' | 'unknown'> {
  const payment = order.payment;
  if (!payment?.providerPaymentId) return 'refunded';
  let refund: Awaited<ReturnType<PaymentProvider['refund']>>;
  try {
    refund = await paymentProvider().refund({
      orderId: order.id,
      providerPaymentId: payment.providerPaymentId,
      amount: order.total,
      currency: order.currency,
      idempotencyKey: `refund-${payment.providerPaymentId}`,
    });
  } catch (error) {
    // The order stays cancelled; the failed refund is on the payment (a later cancel retries
    // it) and in the logs for an operator.
    logger.error('refund failed', {
      orderId: order.id,
      error: error instanceof Error ? error.message : String(error),
    });
    countMetric(BUSINESS_METRICS.RefundFailed);
    await recordRefund(order.id, { ...payment, refund: { status: 'failed' } }, 'refund_failed', {});
    return refusedOutright(error) ? 'refused' : 'unknown';
  }
  await recordRefund(
    order.id,
    { ...payment, refund: { status: refund.status, providerRefundId: refund.providerRefundId } },
    'refund_requested',
    { providerRefundId: refund.providerRefundId, status: refund.status },
  );
  return 'refunded';
}

/**
 * How a provider event relates to the order's current payment attempt. Known payment ids
 * decide; before the charge call returned only the attempt in the payment's metadata can.
 */
function isCurrentPayment(payment: Payment | undefined, event: PaymentEvent): boolean {
  if (!payment) return false;
  if (payment.providerPaymentId !== undefined) return payment.providerPaymentId === event.providerPaymentId;
  // Without an attempt in the metadata only a first attempt can be meant: there is no other.
  return (event.attempt ?? 1) === payment.attempt;
}

/**
 * Applies one verified provider event, exactly once: the record that the event was processed
 * is written in the same transaction as its effect, or, where the effect is a provider call
 * (a refund, keyed so that repeating it is harmless), right after it. Replays, duplicates
 * delivered in parallel and out-of-order events change nothing further.
 */
export async function applyPaymentEvent(event: PaymentEvent): Promise<'processed' | 'duplicate' | 'ignored'> {
  if (await paymentEventProcessed(event.id)) return 'duplicate';
  const detail = { eventId: event.id, type: event.providerType, providerPaymentId: event.providerPaymentId };
  const order = event.orderId ? await getOrder(event.orderId) : undefined;
  const payment = order?.payment;
  const current = isCurrentPayment(payment, event);
  const claim = [claimPaymentEvent(event.id, detail)];
  try {
    if (order && event.type === 'payment.succeeded') {
      const outcome = await applySuccess(order, event, current, detail, claim);
      if (outcome) return outcome;
    }
    if (order && payment && current && event.type === 'payment.failed') {
      const failed: Payment = {
        ...payment,
        status: 'failed',
        failureReason: event.failureReason ?? 'failed',
        ...(event.providerPaymentId ? { providerPaymentId: event.providerPaymentId } : {}),
      };
      if (await recordPaymentOutcome(order.id, failed, { ...detail, reason: failed.failureReason }, claim)) {
        countMetric(BUSINESS_METRICS.PaymentDeclined);
        return 'processed';
      }
    }
    if (order && payment && current && event.type === 'payment.refunded' && payment.providerPaymentId) {
      const full = event.amount === undefined || event.amount >= order.total;
      const refund = {
        ...payment.refund,
        status: full ? 'succeeded' : 'partial',
        ...(event.amount !== undefined ? { amount: event.amount } : {}),
      };
      if (await recordRefund(order.id, { ...payment, refund }, 'refunded', detail, claim)) return 'processed';
    }
  } catch (error) {
    // The event's claim (the last item of each transaction above) failed: processed already.
    if (isConditionFailure(error) && (await paymentEventProcessed(event.id))) return 'duplicate';
    throw error;
  }
  return (await recordPaymentEventOnly(event.id, order?.id, { ...detail, note: 'no effect' }))
    ? 'ignored'
    : 'duplicate';
}

/**
 * Whether a success event says the provider took exactly the order's total in its currency. A
 * missing amount or currency is a mismatch: the README promises that a success differing from
 * the order is not applied, and one that does not say what it charged cannot be shown to agree.
 */
export const chargedWhatWasAsked = (
  order: Pick<Order, 'total' | 'currency'>,
  money: { readonly amount?: number | undefined; readonly currency?: string | undefined },
): boolean => money.amount === order.total && money.currency === order.currency;

/** A succeeded payment: pays the order, or gives back money that is not (or no longer) wanted. */
async function applySuccess(
  order: Order,
  event: PaymentEvent,
  current: boolean,
  detail: Record<string, unknown>,
  claim: Record<string, unknown>[],
): Promise<'processed' | 'duplicate' | undefined> {
  const payment = order.payment;
  if (!chargedWhatWasAsked(order, event)) {
    // Not what we asked for, or not saying what it was: never mark the order paid on it (a
    // success without an amount or a currency proves nothing). An operator must look.
    logger.error('payment event amount does not match the order', {
      orderId: order.id,
      eventId: event.id,
      amount: event.amount,
      currency: event.currency,
    });
    return (await recordPaymentEventOnly(event.id, order.id, { ...detail, note: 'amount mismatch' }))
      ? 'processed'
      : 'duplicate';
  }
  if (payment && current && order.status === 'pending_payment') {
    const settled = await settlePaid(
      order.id,
      { ...payment, status: 'succeeded', providerPaymentId: event.providerPaymentId },
      detail,
      claim,
    );
    if (settled === 'unknown') {
      throw new Error('The refund of a payment for a dead order failed; the provider will redeliver.');
    }
    if (settled === 'paid') return 'processed';
    // The order moved on meanwhile, so the claim above was not written: record the event now.
    // If that finds it recorded, a parallel delivery of this very event paid the order first.
    return (await recordPaymentEventOnly(event.id, order.id, detail)) ? 'processed' : 'duplicate';
  }
  if (payment && current && (order.status === 'cancelled' || order.status === 'expired')) {
    // Settled after the order died (e.g. a slow payment): give the money back first, then
    // record the event; if the refund fails the event stays unprocessed and is redelivered.
    const settled = { ...payment, status: 'succeeded' as const, providerPaymentId: event.providerPaymentId };
    if (
      owesRefund({ ...order, payment: settled }) &&
      (await refundPayment({ ...order, payment: settled })) === 'unknown'
    ) {
      throw new Error('The refund of a payment for a dead order failed; the provider will redeliver.');
    }
    return (await recordPaymentEventOnly(event.id, order.id, detail)) ? 'processed' : 'duplicate';
  }
  if (!current && event.providerPaymentId) {
    // Money for this order that is not its payment (an earlier attempt that was thought to
    // have failed): the order is paid once, so this one goes back.
    let note: Record<string, unknown>;
    try {
      const refund = await paymentProvider().refund({
        orderId: order.id,
        providerPaymentId: event.providerPaymentId,
        amount: event.amount ?? order.total,
        currency: event.currency ?? order.currency,
        idempotencyKey: `refund-${event.providerPaymentId}`,
      });
      logger.warn('refunded a second payment for an order', { orderId: order.id, eventId: event.id });
      note = {
        ...detail,
        note: 'not the order’s payment: refunded',
        providerRefundId: refund.providerRefundId,
      };
    } catch (error) {
      // No answer: fail the delivery so the provider redelivers and the refund is asked again.
      if (!refusedOutright(error)) throw error;
      countMetric(BUSINESS_METRICS.RefundFailed);
      await markRefundFailed(order.id, event.providerPaymentId);
      logger.error('the provider refused to refund a second payment for an order', {
        orderId: order.id,
        eventId: event.id,
        error: error instanceof Error ? error.message : String(error),
      });
      note = { ...detail, note: 'not the order’s payment: refund refused, an operator must look' };
    }
    return (await recordPaymentEventOnly(event.id, order.id, note)) ? 'processed' : 'duplicate';
  }
  return undefined;
}

/** What reconciling one attempt did. */
export type ReconcileOutcome =
  | 'succeeded'
  | 'failed'
  /** Still waiting at the provider: for the bank, or for the customer's 3-D Secure challenge. */
  | 'pending'
  | 'not at provider'
  /** The provider says it succeeded, but not with the order's amount and currency: not applied. */
  | 'amount mismatch'
  | 'unchanged'
  | 'unreachable';

/**
 * Settles a payment attempt whose outcome we do not know (its answer was lost, the function died
 * mid-charge, the provider keeps answering an error it cached for the key, or the webhook of a
 * pending payment never came) by asking the provider, and then exactly as its webhook would: a
 * success pays the order (or is refunded if the order died meanwhile), a failure frees it for a
 * new attempt. The event id is derived from the provider's payment and status, so reconciling
 * twice, or the real webhook arriving later, changes nothing further. An attempt the provider
 * has no payment for was never charged: it is failed, and the order can be paid again under a
 * new attempt (a new provider key, so a cached error cannot stand in the way).
 */
export async function reconcilePayment(order: Order, now = new Date()): Promise<ReconcileOutcome> {
  const payment = order.payment;
  if (!payment) return 'unchanged';
  let found: FoundPayment | undefined;
  try {
    found = await paymentProvider().findPayment({
      orderId: order.id,
      attempt: payment.attempt,
      idempotencyKey: chargeKey(order.id, payment.attempt),
      paymentMethod: payment.paymentMethod,
      amount: order.total,
      currency: order.currency,
      ...(payment.providerPaymentId ? { providerPaymentId: payment.providerPaymentId } : {}),
    });
  } catch (error) {
    if (!(error instanceof PaymentProviderError)) throw error;
    logger.warn('reconciliation: the provider could not be asked', {
      orderId: order.id,
      error: error.message,
    });
    return 'unreachable';
  }
  if (!found) {
    // The provider named this payment before: a lookup that misses it proves nothing.
    if (payment.providerPaymentId) return 'unchanged';
    const failed: Payment = { ...payment, status: 'failed', failureReason: 'no_charge_at_provider' };
    const recorded = await recordPaymentOutcome(
      order.id,
      failed,
      { reason: 'reconciliation: the provider has no payment for this attempt' },
      [],
      { unlessResentSince: payment },
    );
    return recorded ? 'not at provider' : 'unchanged';
  }
  if (found.status === 'pending' || found.status === 'requires_action') {
    // Still waiting at the provider (for the bank, or for the customer's 3-D Secure challenge).
    if (payment.status === found.status) return 'unchanged';
    const waiting: Payment = {
      ...payment,
      status: found.status,
      providerPaymentId: found.providerPaymentId,
      ...(found.action ? actionFields(found.action) : {}),
    };
    const recorded = await recordPaymentOutcome(
      order.id,
      waiting,
      {
        providerPaymentId: found.providerPaymentId,
        reason: `reconciliation: ${found.status} at the provider`,
      },
      [],
      { unlessResentSince: payment },
    );
    return recorded ? 'pending' : 'unchanged';
  }
  const outcome = await applyPaymentEvent({
    id: `reconciliation-${found.providerPaymentId}-${found.status}`,
    type: found.status === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
    providerType: 'reconciliation',
    orderId: order.id,
    attempt: payment.attempt,
    providerPaymentId: found.providerPaymentId,
    // Each as the provider said it, or absent: a success missing either is not applied.
    ...(found.amount !== undefined ? { amount: found.amount } : {}),
    ...(found.currency ? { currency: found.currency } : {}),
    ...(found.failureReason ? { failureReason: found.failureReason } : {}),
    created: Math.floor(now.getTime() / 1000),
  });
  if (outcome !== 'processed') return 'unchanged';
  // Recorded, logged and left for an operator, exactly as the webhook does it.
  if (found.status === 'succeeded' && !chargedWhatWasAsked(order, found)) return 'amount mismatch';
  return found.status === 'succeeded' ? 'succeeded' : 'failed';
}
