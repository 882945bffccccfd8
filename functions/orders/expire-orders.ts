import type { ScheduledEvent } from 'aws-lambda';
import { declareEnv, positiveNumber } from '../core/config.ts';
import { Conflict } from '../core/domain-errors.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { dueUnpaidOrders } from './listings-store.ts';
import { type Order, withoutPendingAction } from './model.ts';
import { type TransitionOptions, transitionOrder } from './store.ts';

/** Stop starting pages this close to the function's timeout; the next run continues. */
const SAFETY_MARGIN_MS = 3_000;
// Read by the store's due-order Query (declared here: the store is shared with functions that never need it).
declareEnv('ORDER_PAYMENT_WINDOW_MINUTES', positiveNumber);
const MAX_PAGES = 50;

/**
 * Runs on a schedule (EventBridge rule): unpaid orders past their payment window become
 * `expired` and their stock returns, page after page while time allows. An order paid or
 * cancelled meanwhile loses the race cleanly (409) and is skipped; one that cannot be expired
 * for another reason is logged and left for the next run, never blocking the others.
 */
export const handler = lambda(async (_event: ScheduledEvent | undefined, context) => {
  const now = new Date();
  let expired = 0;
  let skipped = 0;
  let failed = 0;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const due = await dueUnpaidOrders(now, 100, after);
    for (const order of due.orders) {
      try {
        await transitionOrder(order.id, 'expire', expiry(order));
        expired++;
      } catch (error) {
        if (error instanceof Conflict) {
          skipped++;
        } else {
          failed++;
          logger.error('could not expire an order', { orderId: order.id, error: String(error) });
        }
      }
    }
    after = due.next;
    if (!after || (context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) < SAFETY_MARGIN_MS)
      break;
  }
  logger.info('expired unpaid orders', { expired, skipped, failed });
  return { expired, skipped, failed };
});

/**
 * How an order expires: stock back (the transition does that) and, when its payment attempt
 * still waits for the customer's 3-D Secure challenge, that attempt failed as abandoned, in the
 * same write and only if it is still the attempt read (a webhook that settles it first wins:
 * the order is then skipped here, and paid or expired on the next run). A challenge completed
 * after this is refunded when its success arrives (payments: a success for a dead order).
 */
function expiry(order: Order): TransitionOptions {
  const detail = { reason: 'payment window passed' };
  const payment = order.payment;
  if (payment?.status !== 'requires_action') return { detail };
  return {
    detail: { ...detail, abandoned: 'authentication (3-D Secure) not completed' },
    set: {
      payment: withoutPendingAction({
        ...payment,
        status: 'failed',
        failureReason: 'authentication_abandoned',
      }),
    },
    condition: {
      expression: 'payment.attempt = :readAttempt AND payment.#paymentStatus = :requiresAction',
      names: { '#paymentStatus': 'status' },
      values: { ':readAttempt': payment.attempt, ':requiresAction': 'requires_action' },
    },
  };
}
