import type { ScheduledEvent } from 'aws-lambda';
import { declareEnv, secretArn, url } from '../core/config.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { deliverSimulatedEvents } from './simulated-delivery.ts';
import { dueSimulatedEvents } from './simulated-outbox-store.ts';

const simulated = () => process.env.PAYMENT_PROVIDER === 'simulated';
declareEnv('PAYMENT_WEBHOOK_URL', url, simulated);
declareEnv('PAYMENT_WEBHOOK_SECRET_ARN', secretArn, simulated);

/**
 * Runs on a schedule where the provider is `simulated`: delivers the events of payments
 * that settle later, and those a delivery right after a 3-D Secure challenge missed, signed
 * like the provider would, to our own webhook endpoint.
 */
export const handler = lambda(
  async (_event?: ScheduledEvent): Promise<{ delivered: number; failed: number }> => {
    if (!simulated()) return { delivered: 0, failed: 0 };
    const counts = await deliverSimulatedEvents(await dueSimulatedEvents(new Date()));
    logger.info('delivered simulated payment events', counts);
    return counts;
  },
);
