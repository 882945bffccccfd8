import type { ScheduledEvent } from 'aws-lambda';
import { declareEnv, requireEnv } from '../core/config.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { dimensionedMetric } from '../core/metrics.ts';
import { ordersWithUnsettledPayment } from '../orders/listings-store.ts';
import type { OrderStatus } from '../orders/model.ts';
import { type ReconcileOutcome, reconcilePayment } from './service.ts';

declareEnv('PAYMENT_RECONCILE_AFTER_SECONDS', (value) =>
  /^\d+$/.test(value) ? undefined : 'expected a whole number of seconds',
);

/**
 * Orders whose attempts may hold money we do not know about: payable ones, and those that died
 * (expired, cancelled) with an attempt still unknown, which must be refunded if it charged.
 */
const STATUSES: readonly OrderStatus[] = ['pending_payment', 'expired', 'cancelled'];
/** Stripe keeps an idempotency key (and its cached answer) for 24 hours; older orders are an operator's. */
const LOOK_BACK_MS = 24 * 3600 * 1000;
const SAFETY_MARGIN_MS = 3_000;
const MAX_PAGES = 20;

/**
 * Runs on a schedule: asks the payment provider about every attempt whose outcome has been
 * unknown for a while (`PAYMENT_RECONCILE_AFTER_SECONDS`: long enough for in-flight charges to
 * answer and for Stripe's search index to catch up) and settles it as the webhook would. An
 * order that fails is logged and left for the next run, never blocking the others.
 */
export const handler = lambda(async (_event: ScheduledEvent | undefined, context) => {
  const now = new Date();
  const startedBefore = new Date(
    now.getTime() - Number(requireEnv('PAYMENT_RECONCILE_AFTER_SECONDS')) * 1000,
  );
  const createdAfter = new Date(now.getTime() - LOOK_BACK_MS);
  const counts: Record<ReconcileOutcome | 'errors', number> = {
    succeeded: 0,
    failed: 0,
    pending: 0,
    'not at provider': 0,
    'amount mismatch': 0,
    unchanged: 0,
    unreachable: 0,
    errors: 0,
  };
  const timeLeft = () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
  for (const status of STATUSES) {
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES && timeLeft() > SAFETY_MARGIN_MS; page++) {
      const due = await ordersWithUnsettledPayment(status, { createdAfter, startedBefore, after });
      for (const order of due.orders) {
        try {
          const outcome = await reconcilePayment(order, now);
          counts[outcome]++;
          if (outcome !== 'unchanged' && outcome !== 'unreachable') {
            dimensionedMetric(BUSINESS_METRICS.PaymentReconciled, { name: 'outcome', value: outcome }, 1);
          }
        } catch (error) {
          counts.errors++;
          logger.error('could not reconcile a payment', {
            orderId: order.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      after = due.next;
      if (!after) break;
    }
  }
  logger.info('reconciled payments', counts);
  return counts;
});
