import { requireEnv } from '../core/config.ts';
import { secretString } from '../core/secrets.ts';
import { removeSimulatedEvent } from './simulated-outbox-store.ts';
import { signStripePayload } from './webhook.ts';

/** A provider does not wait long for a webhook endpoint either. */
const DELIVERY_TIMEOUT_MS = 5_000;

/**
 * Delivers events of the simulated provider's outbox to our webhook endpoint
 * (`PAYMENT_WEBHOOK_URL`), signed as the provider would sign them, and removes each one the
 * endpoint accepted; the others stay for the next run, as a provider retries. Callers declare
 * `PAYMENT_WEBHOOK_URL` and `PAYMENT_WEBHOOK_SECRET_ARN`.
 */
export async function deliverSimulatedEvents(
  events: readonly { readonly sk: string; readonly body: string }[],
): Promise<{ delivered: number; failed: number }> {
  if (events.length === 0) return { delivered: 0, failed: 0 };
  const secret = await secretString(requireEnv('PAYMENT_WEBHOOK_SECRET_ARN'));
  const url = requireEnv('PAYMENT_WEBHOOK_URL');
  let delivered = 0;
  let failed = 0;
  for (const { sk, body } of events) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, secret) },
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    }).catch(() => undefined);
    // Drain the body so the connection can be reused.
    await res?.arrayBuffer().catch(() => undefined);
    if (res?.ok) {
      await removeSimulatedEvent(sk);
      delivered++;
    } else {
      failed++;
    }
  }
  return { delivered, failed };
}
