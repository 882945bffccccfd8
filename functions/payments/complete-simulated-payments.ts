import type { ScheduledEvent } from 'aws-lambda';
import { declareEnv, requireEnv, secretArn, url } from '../core/config.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { secretString } from '../core/secrets.ts';
import { dueSimulatedEvents, removeSimulatedEvent } from './simulated-outbox-store.ts';
import { signStripePayload } from './webhook.ts';

const simulated = () => process.env.PAYMENT_PROVIDER === 'simulated';
declareEnv('PAYMENT_WEBHOOK_URL', url, simulated);
declareEnv('PAYMENT_WEBHOOK_SECRET_ARN', secretArn, simulated);

/**
 * Runs on a schedule where the provider is `simulated`: delivers the events of payments
 * that settle later, signed like the provider would, to our own webhook endpoint.
 */
export const handler = lambda(
  async (_event?: ScheduledEvent): Promise<{ delivered: number; failed: number }> => {
    if (!simulated()) return { delivered: 0, failed: 0 };
    const secret = await secretString(requireEnv('PAYMENT_WEBHOOK_SECRET_ARN'));
    const url = requireEnv('PAYMENT_WEBHOOK_URL');
    let delivered = 0;
    let failed = 0;
    for (const { sk, body } of await dueSimulatedEvents(new Date())) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, secret) },
        body,
      }).catch(() => undefined);
      // Like a provider: keep an event until the endpoint accepts it.
      if (res?.ok) {
        await removeSimulatedEvent(sk);
        delivered++;
      } else {
        failed++;
      }
    }
    logger.info('delivered simulated payment events', { delivered, failed });
    return { delivered, failed };
  },
);
