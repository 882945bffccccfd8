import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table, transactWrite, updateItem } from '../core/db.ts';
import { Conflict, NotFound } from '../core/domain-errors.ts';
import { claimIdempotencyKey, replayOf, requestHash } from '../core/idempotency.ts';
import { historyEntry } from '../orders/history.ts';
import { orderKey, refundFailureKey } from '../orders/keys.ts';
import { type HistoryEntry, type Order, type Payment, withoutPendingAction } from '../orders/model.ts';
import { getOrder } from '../orders/store.ts';
import { PAY_ORDER_SCOPE, processedEventKey } from './keys.ts';

/*
 * The payment of an order: the attempts to charge it (one current attempt on the order item,
 * claimed in one transaction with the caller's idempotency key), the provider events applied to
 * it, each processed once, and the refunds the provider refused, listed for an operator. The
 * order item, its key and the failed-refund list belong to the orders domain (payments depend
 * on orders, never the reverse): this store writes the item's `payment` and the list's entries
 * through functions/orders/keys.ts, and the orders' listings read the list.
 */

/** Attempts per order: enough for a few declined cards, bounded so the order item stays small. */
export const MAX_PAYMENT_ATTEMPTS = 10;
/**
 * An attempt still `processing` after this long was abandoned (its function timed out or died
 * mid-charge: functions time out after 10 s): the next request re-sends it under its own
 * provider key, so the provider answers the first charge rather than making a second.
 */
const STALE_PROCESSING_MS = 60_000;

/** Whether an attempt's outcome is unknown, so it must be re-sent as it was rather than replaced. */
function needsResend(order: Order, payment: Payment, now = Date.now()): boolean {
  if (payment.status === 'error') return true;
  if (payment.status !== 'processing') return false;
  return now - Date.parse(payment.startedAt ?? order.updatedAt) > STALE_PROCESSING_MS;
}
/** Processed-event records outlive any provider's redelivery window (Stripe: 3 days). */
const EVENT_RECORD_TTL_SECONDS = 30 * 24 * 3600;

/** What `claimPaymentAttempt` decided: charge now (a new attempt or a re-send), or answer as a replay. */
export type PaymentClaim =
  | { readonly replayed: false; readonly order: Order; readonly payment: Payment }
  | { readonly replayed: true; readonly order: Order };

/**
 * Claims the right to charge an order, in one transaction with the caller's idempotency key:
 * only a pending order whose previous attempt (if any) definitively failed can start one,
 * so a retried or raced request can never start a second charge. An attempt whose outcome
 * is unknown (provider error) is retried under the same attempt number, hence the same
 * provider idempotency key: the provider then answers the first charge again.
 */
export async function claimPaymentAttempt(
  userId: string,
  orderId: string,
  paymentMethod: string,
  idempotencyKey: string,
): Promise<PaymentClaim> {
  const hash = requestHash({ orderId, paymentMethod });
  const order = await getOrder(orderId);
  if (!order || order.userId !== userId) throw new NotFound(`No order with id ${orderId}.`);
  // The key is read AFTER the order: a request with the same key whose claim our order read
  // already saw has its key visible now (one transaction wrote both), so it is a replay here
  // rather than "another payment is processing".
  const replay = await replayOf(PAY_ORDER_SCOPE, userId, idempotencyKey, hash);
  if (replay) return resumeAttempt(orderId, replay);
  if (order.status !== 'pending_payment')
    throw new Conflict(`The order is ${order.status}; it cannot be paid.`);
  const previous = order.payment;
  // After an unknown outcome the same attempt is re-sent as it was (same card, same provider
  // key), so the provider answers the first charge instead of making a second one.
  const retrying = previous !== undefined && needsResend(order, previous);
  if (previous && !retrying && previous.status === 'requires_action') {
    // Another card now could charge twice if the customer still completes the first challenge.
    throw new Conflict(
      'The last payment attempt awaits the customer’s authentication (3-D Secure) at payment.nextAction; it fails if not completed before the payment window ends.',
    );
  }
  if (previous && !retrying && previous.status !== 'failed') {
    throw new Conflict(`A payment for this order is already ${previous.status}.`);
  }
  if (previous && retrying && paymentMethod !== previous.paymentMethod) {
    // It may have charged: another card now could charge twice.
    throw new Conflict(
      `The outcome of the last payment attempt is unknown; retry it with the same payment method (${previous.paymentMethod}) so it cannot charge twice.`,
    );
  }
  if (previous && !retrying && previous.attempt >= MAX_PAYMENT_ATTEMPTS) {
    throw new Conflict(`This order had ${MAX_PAYMENT_ATTEMPTS} failed payment attempts; place a new order.`);
  }
  const attempt = previous ? (retrying ? previous.attempt : previous.attempt + 1) : 1;
  const payment: Payment = {
    attempt,
    status: 'processing',
    paymentMethod: retrying ? previous.paymentMethod : paymentMethod,
    startedAt: new Date().toISOString(),
  };
  try {
    await transactWrite({
      TransactItems: [
        claimIdempotencyKey(PAY_ORDER_SCOPE, userId, idempotencyKey, {
          requestHash: hash,
          resourceId: `${orderId}#${attempt}`,
        }),
        startAttempt(orderId, payment, previous),
      ],
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Either a concurrent request with this key won (a replay), or one with another key did.
    const raced = await replayOf(PAY_ORDER_SCOPE, userId, idempotencyKey, hash);
    if (raced) return resumeAttempt(orderId, raced);
    throw new Conflict('Another payment for this order started meanwhile.');
  }
  return { order: { ...order, payment }, payment, replayed: false };
}

/** The order update that makes `payment` the current attempt, if the previous one is still as read. */
function startAttempt(orderId: string, payment: Payment, previous: Payment | undefined) {
  return {
    Update: {
      TableName: table().tableName,
      Key: orderKey(orderId),
      UpdateExpression: 'SET payment = :payment, updatedAt = :now, history = list_append(history, :history)',
      // The previous attempt must still be exactly as read (its start time too: two requests
      // re-sending one abandoned attempt must not both win).
      ConditionExpression: previous
        ? `#status = :pending AND payment.attempt = :previousAttempt AND payment.#paymentStatus = :previousStatus AND ${
            previous.startedAt
              ? 'payment.startedAt = :previousStartedAt'
              : 'attribute_not_exists(payment.startedAt)'
          }`
        : '#status = :pending AND attribute_not_exists(payment)',
      ExpressionAttributeNames: { '#status': 'status', ...(previous ? { '#paymentStatus': 'status' } : {}) },
      ExpressionAttributeValues: {
        ':payment': payment,
        ':pending': 'pending_payment',
        ':now': new Date().toISOString(),
        ':history': [
          historyEntry(previous?.attempt === payment.attempt ? 'payment_resent' : 'payment_started', {
            attempt: payment.attempt,
            paymentMethod: payment.paymentMethod,
          }),
        ],
        ...(previous ? { ':previousAttempt': previous.attempt, ':previousStatus': previous.status } : {}),
        ...(previous?.startedAt ? { ':previousStartedAt': previous.startedAt } : {}),
      },
    },
  };
}

/**
 * A payment request repeated with its Idempotency-Key. Normally the answer is the order as it
 * is now. But if that key's attempt ended in an unknown outcome (the provider did not answer,
 * or the function died mid-charge) the repeat is the client doing what the 502 told it to:
 * the attempt is re-sent with its own
 * provider key, by whichever repeat flips it back to processing first.
 */
async function resumeAttempt(orderId: string, resourceId: string): Promise<PaymentClaim> {
  const attempt = Number(resourceId.slice(resourceId.lastIndexOf('#') + 1));
  const order = (await getOrder(orderId)) as Order;
  const previous = order.payment;
  if (order.status !== 'pending_payment' || previous?.attempt !== attempt || !needsResend(order, previous)) {
    return { order, replayed: true };
  }
  const payment: Payment = {
    attempt,
    status: 'processing',
    paymentMethod: previous.paymentMethod,
    startedAt: new Date().toISOString(),
  };
  try {
    await updateItem(startAttempt(orderId, payment, previous).Update);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { order: (await getOrder(orderId)) as Order, replayed: true };
  }
  return { order: { ...order, payment }, payment, replayed: false };
}

/** The provider idempotency key of an order's payment attempt: one charge per attempt, ever. */
export const chargeKey = (orderId: string, attempt: number) => `order-${orderId}-attempt-${attempt}`;

/**
 * Records an attempt's non-final outcome (failed, pending, requires_action, error) if it is still the current
 * attempt and unsettled; false if not (a webhook settled it first, or a newer attempt began).
 * `alsoWrite` (e.g. the record that a webhook event was processed) happens with it or not at
 * all; its own condition failures are thrown, at index `1 + i`.
 */
export function recordPaymentOutcome(
  orderId: string,
  payment: Payment,
  note: Record<string, unknown>,
  alsoWrite: readonly Record<string, unknown>[] = [],
  options: { readonly unlessResentSince?: Payment } = {},
): Promise<boolean> {
  // Reconciliation decides on the attempt as it read it: not if a client re-sent it meanwhile.
  const read = options.unlessResentSince;
  const resent = read
    ? read.startedAt
      ? {
          expression: ' AND payment.startedAt = :readStartedAt',
          values: { ':readStartedAt': read.startedAt },
        }
      : { expression: ' AND attribute_not_exists(payment.startedAt)', values: {} }
    : { expression: '', values: {} };
  return writePayment(orderId, payment, historyEntry(`payment_${payment.status}`, note), alsoWrite, {
    expression: `payment.#paymentStatus IN (:processing, :pending, :requiresAction, :error)${resent.expression}`,
    names: { '#paymentStatus': 'status' },
    values: {
      ':processing': 'processing',
      ':pending': 'pending',
      ':requiresAction': 'requires_action',
      ':error': 'error',
      ...resent.values,
    },
  });
}

/**
 * Records a refund of the order's payment attempt (the whole `payment`, refund included, as
 * the caller read and amended it), unless a newer attempt replaced it. A refund not (yet)
 * succeeded never overwrites one that succeeded: a late "pending" answer must not undo the
 * webhook that reported the money back.
 */
export function recordRefund(
  orderId: string,
  payment: Payment,
  type: string,
  detail: Record<string, unknown>,
  extraWrites: readonly Record<string, unknown>[] = [],
): Promise<boolean> {
  // The operator's list of failed refunds follows the payment's refund, in the same transaction.
  const marker = payment.providerPaymentId
    ? [
        payment.refund?.status === 'failed'
          ? refundFailureMarked(orderId, payment.providerPaymentId)
          : refundFailureCleared(orderId, payment.providerPaymentId),
      ]
    : [];
  const alsoWrite = [...extraWrites, ...marker];
  if (payment.refund?.status === 'succeeded') {
    return writePayment(orderId, payment, historyEntry(type, detail), alsoWrite);
  }
  if (payment.refund?.status === 'failed') {
    // Only a refund that never got anywhere is marked failed, not one a parallel request made.
    return writePayment(orderId, payment, historyEntry(type, detail), alsoWrite, {
      expression: '(attribute_not_exists(payment.refund) OR payment.refund.#refundStatus = :failed)',
      names: { '#refundStatus': 'status' },
      values: { ':failed': 'failed' },
    });
  }
  return writePayment(orderId, payment, historyEntry(type, detail), alsoWrite, {
    expression: '(attribute_not_exists(payment.refund) OR payment.refund.#refundStatus <> :succeeded)',
    names: { '#refundStatus': 'status' },
    values: { ':succeeded': 'succeeded' },
  });
}

/** Replaces the current attempt's `payment` if it is still that attempt and `condition` holds. */
async function writePayment(
  orderId: string,
  payment: Payment,
  entry: HistoryEntry,
  alsoWrite: readonly Record<string, unknown>[],
  condition?: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
): Promise<boolean> {
  const { tableName } = table();
  const update = {
    TableName: tableName,
    Key: orderKey(orderId),
    UpdateExpression: 'SET payment = :payment, updatedAt = :now, history = list_append(history, :history)',
    ConditionExpression: `payment.attempt = :attempt${condition ? ` AND ${condition.expression}` : ''}`,
    ...(condition ? { ExpressionAttributeNames: condition.names } : {}),
    ExpressionAttributeValues: {
      ...condition?.values,
      ':payment': withoutPendingAction(payment),
      ':attempt': payment.attempt,
      ':now': new Date().toISOString(),
      ':history': [entry],
    },
  };
  try {
    if (alsoWrite.length === 0) await updateItem(update);
    else await transactWrite({ TransactItems: [{ Update: update }, ...alsoWrite] });
    return true;
  } catch (error) {
    if (alsoWrite.length === 0 ? isConditionFailure(error) : isConditionFailure(error, 0)) return false;
    throw error;
  }
}

/** The transaction item that marks a provider event processed; a second delivery fails it. */
export function claimPaymentEvent(eventId: string, detail: Record<string, unknown>) {
  return {
    Put: {
      TableName: table().tableName,
      Item: {
        ...processedEventKey(eventId),
        entity: 'payment-event',
        ...detail,
        processedAt: new Date().toISOString(),
        expiresAtEpoch: Math.floor(Date.now() / 1000) + EVENT_RECORD_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Records a provider event that changes nothing (a duplicate effect, an out-of-order
 * delivery) so it is still processed exactly once; returns false if it was already recorded.
 */
export async function recordPaymentEventOnly(
  eventId: string,
  orderId: string | undefined,
  detail: Record<string, unknown>,
): Promise<boolean> {
  const { client, tableName } = table();
  const claim = claimPaymentEvent(eventId, detail);
  try {
    if (orderId && (await getOrder(orderId))) {
      await transactWrite({
        TransactItems: [
          claim,
          {
            Update: {
              TableName: tableName,
              Key: orderKey(orderId),
              UpdateExpression: 'SET history = list_append(history, :history)',
              ExpressionAttributeValues: { ':history': [historyEntry('provider_event', detail)] },
            },
          },
        ],
      });
    } else {
      await client.send(new PutCommand(claim.Put));
    }
    return true;
  } catch (error) {
    if (isConditionFailure(error, 0) || isConditionFailure(error)) return false;
    throw error;
  }
}

/** Whether a provider event was processed already (a cheap early exit for redeliveries). */
export async function paymentEventProcessed(eventId: string): Promise<boolean> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: processedEventKey(eventId), ConsistentRead: true }),
  );
  return out.Item !== undefined;
}

/** The transaction item that lists a payment's refund as failed (for `GET /admin/orders?refund=failed`). */
function refundFailureMarked(orderId: string, providerPaymentId: string) {
  return {
    Put: {
      TableName: table().tableName,
      Item: {
        ...refundFailureKey(orderId, providerPaymentId),
        entity: 'refund-failure',
        orderId,
        providerPaymentId,
        failedAt: new Date().toISOString(),
      },
    },
  };
}

/** The transaction item that takes a payment off the failed-refund list (a refund went through). */
function refundFailureCleared(orderId: string, providerPaymentId: string) {
  return { Delete: { TableName: table().tableName, Key: refundFailureKey(orderId, providerPaymentId) } };
}

/**
 * Lists a refund the provider refused for a payment that is not the order's own (a second
 * charge), which no payment record holds: only the list and the order's history show it.
 */
export async function markRefundFailed(orderId: string, providerPaymentId: string): Promise<void> {
  const { client } = table();
  await client.send(new PutCommand(refundFailureMarked(orderId, providerPaymentId).Put));
}
