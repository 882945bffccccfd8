import type { ScheduledEvent } from 'aws-lambda';
import { HttpError } from '../core/errors.ts';
import { logger } from '../core/logger.ts';
import { dueUnpaidOrders, transitionOrder } from './store.ts';

/**
 * Runs on a schedule (EventBridge rule): unpaid orders past their payment window become
 * `expired` and their stock returns. An order paid or cancelled meanwhile loses the race
 * cleanly (409) and is skipped.
 */
export async function handler(_event?: ScheduledEvent): Promise<{ expired: number; skipped: number }> {
  let expired = 0;
  let skipped = 0;
  for (const order of await dueUnpaidOrders(new Date())) {
    try {
      await transitionOrder(order.id, 'expire', { detail: { reason: 'payment window passed' } });
      expired++;
    } catch (error) {
      if (!(error instanceof HttpError && error.statusCode === 409)) throw error;
      skipped++;
    }
  }
  logger.info('expired unpaid orders', { expired, skipped });
  return { expired, skipped };
}
