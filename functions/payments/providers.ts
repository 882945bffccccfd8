import { declareEnv, oneOf, requireEnv, secretArn, url } from '../core/config.ts';
import { logger } from '../core/logger.ts';
import { secretString } from '../core/secrets.ts';
import type { PaymentProvider } from './provider.ts';
import { simulatedProvider } from './simulated.ts';
import { holdSimulatedChallenge, queueSimulatedEvent } from './simulated-outbox-store.ts';
import { stripeProvider } from './stripe.ts';
import { signStripePayload } from './webhook.ts';

/*
 * The registry of payment providers: the one place that knows every adapter and builds the one
 * the function's environment names. The port (provider.ts) and the order code know none.
 */

const WEBHOOK_DELIVERY_TIMEOUT_MS = 5_000;

/** Each adapter, built from the function's environment. */
const PROVIDERS = {
  simulated: (): PaymentProvider =>
    simulatedProvider({
      deliver: webhookDelivery(requireEnv('PAYMENT_WEBHOOK_URL'), requireEnv('PAYMENT_WEBHOOK_SECRET_ARN')),
      // Its "payments that settle later" are queued in the table; a scheduled function
      // (complete-simulated-payments.ts) delivers their events when due.
      settleLater: (providerPaymentId, eventBody) =>
        queueSimulatedEvent(
          new Date(Date.now() + simulatedSettleSeconds() * 1000),
          providerPaymentId,
          eventBody,
        ),
      // Its 3-D Secure challenges wait in the table for the page the customer is sent to.
      holdChallenge: holdSimulatedChallenge,
      challengeUrl: (providerPaymentId) =>
        `${requireEnv('SIMULATED_CHALLENGE_URL')}/${encodeURIComponent(providerPaymentId)}/challenge`,
      returnUrl,
    }),
  stripe: (): PaymentProvider => {
    const keySecretArn = requireEnv('STRIPE_API_KEY_SECRET_ARN');
    return stripeProvider({
      // Secret values are often saved with a trailing newline; Stripe would reject the key.
      apiKey: async () => (await secretString(keySecretArn)).trim(),
      returnUrl,
      ...(process.env.STRIPE_API_BASE ? { baseUrl: process.env.STRIPE_API_BASE } : {}),
    });
  },
} as const satisfies Record<string, () => PaymentProvider>;

/** The names `PAYMENT_PROVIDER` may take. */
export type ProviderName = keyof typeof PROVIDERS;
export const PROVIDER_NAMES = Object.keys(PROVIDERS) as ProviderName[];

const uses = (name: ProviderName) => () => process.env.PAYMENT_PROVIDER === name;
declareEnv('PAYMENT_PROVIDER', oneOf(PROVIDER_NAMES));
declareEnv('PAYMENT_WEBHOOK_URL', url, uses('simulated'));
declareEnv('PAYMENT_WEBHOOK_SECRET_ARN', secretArn, uses('simulated'));
declareEnv('SIMULATED_CHALLENGE_URL', url, uses('simulated'));
declareEnv('PAYMENT_RETURN_URL', url);
declareEnv('STRIPE_API_KEY_SECRET_ARN', secretArn, uses('stripe'));
declareEnv('STRIPE_API_BASE', url, () => process.env.STRIPE_API_BASE !== undefined);

let cached: { readonly name: string; readonly provider: PaymentProvider } | undefined;

/**
 * The provider this function's environment names: `PAYMENT_PROVIDER` = `simulated` | `stripe`
 * (cached per instance). There is deliberately no default: a production function that silently
 * fell back to the simulator would hand out goods for free, so a missing or unknown value
 * throws a configuration error.
 */
export function paymentProvider(): PaymentProvider {
  const name = requireEnv('PAYMENT_PROVIDER');
  if (cached?.name === name) return cached.provider;
  if (!Object.hasOwn(PROVIDERS, name)) {
    throw new Error(
      `Configuration error: PAYMENT_PROVIDER is '${name}'; expected one of ${PROVIDER_NAMES.join(', ')}.`,
    );
  }
  const provider = PROVIDERS[name as ProviderName]();
  cached = { name, provider };
  return provider;
}

/**
 * Where the customer lands after a 3-D Secure challenge (`PAYMENT_RETURN_URL`, the app's page,
 * per environment), told which order it was about.
 */
function returnUrl(orderId: string): string {
  const target = new URL(requireEnv('PAYMENT_RETURN_URL'));
  target.searchParams.set('orderId', orderId);
  return target.toString();
}

/** How long the simulated provider takes to settle a pending payment (`SIMULATED_SETTLE_SECONDS`, default 5). */
function simulatedSettleSeconds(): number {
  return Number(process.env.SIMULATED_SETTLE_SECONDS ?? 5);
}

/**
 * Posts a simulated provider event to our webhook endpoint, signed like Stripe signs it. A failed
 * delivery is logged and swallowed: the charge itself happened, the payment handler records its
 * synchronous outcome anyway, and a real provider would retry the webhook later too.
 */
function webhookDelivery(url: string, secretArn: string): (eventBody: string) => Promise<void> {
  return async (eventBody) => {
    try {
      const secret = await secretString(secretArn);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': signStripePayload(eventBody, secret),
        },
        body: eventBody,
        signal: AbortSignal.timeout(WEBHOOK_DELIVERY_TIMEOUT_MS),
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer();
      if (!response.ok) logger.warn('simulated webhook delivery rejected', { status: response.status });
    } catch (error) {
      logger.warn('simulated webhook delivery failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
}
