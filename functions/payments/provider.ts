import { requireEnv } from '../core/config.ts';
import { logger } from '../core/logger.ts';
import { secretString } from '../core/secrets.ts';
import { simulatedProvider } from './simulated.ts';
import { stripeProvider } from './stripe.ts';
import { signStripePayload } from './webhook.ts';

/** The synchronous outcome of a charge; `pending` settles later through a webhook event. */
export type ChargeStatus = 'succeeded' | 'failed' | 'pending';

export interface ChargeRequest {
  readonly orderId: string;
  /** Integer minor units (cents), as the provider expects them. */
  readonly amount: number;
  /** ISO 4217, upper case (`EUR`). */
  readonly currency: string;
  readonly paymentMethod: string;
  /**
   * Which of the order's payment attempts this is. It travels in the payment's metadata, so a
   * late event of an earlier attempt is never mistaken for the current one.
   */
  readonly attempt: number;
  /**
   * The provider idempotency key: one charge per key, ever. Reuse it verbatim (with the same
   * request) to retry an attempt whose outcome is unknown; use a new one for a new attempt.
   */
  readonly idempotencyKey: string;
}

export interface ChargeResult {
  readonly providerPaymentId: string;
  readonly status: ChargeStatus;
  /** Why a `failed` charge failed, in the provider's words (`card_declined`, `insufficient_funds`). */
  readonly failureReason?: string;
}

export interface RefundRequest {
  readonly orderId: string;
  readonly providerPaymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly idempotencyKey: string;
}

export interface RefundResult {
  readonly providerRefundId: string;
  readonly status: 'succeeded' | 'pending' | 'failed';
}

/** What the order code needs from a card processor; `simulated` and `stripe` implement it. */
export interface PaymentProvider {
  readonly name: 'simulated' | 'stripe';
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}

/**
 * The provider could not give a usable answer: unreachable, timed out, 5xx after retries, a
 * malformed answer, or a request it rejected as invalid (a 4xx that is our bug, not the
 * customer's). Callers turn it into a 502/503 problem. Only `refusedOutright` errors say that
 * nothing moved; after any other the outcome is unknown, and retrying with the same idempotency
 * key is the safe way on. The message never contains the API key nor the provider's own error text.
 */
export class PaymentProviderError extends Error {
  /** The provider's HTTP status, when it answered at all. */
  readonly providerStatus: number | undefined;
  /** The provider's error code (e.g. `resource_missing`, `idempotency_error`), when it sent one. */
  readonly providerCode: string | undefined;

  constructor(
    message: string,
    options: { providerStatus?: number; providerCode?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PaymentProviderError';
    this.providerStatus = options.providerStatus;
    this.providerCode = options.providerCode;
  }
}

/**
 * Whether the provider refused the request itself, so that nothing was charged or refunded: a
 * 4xx other than 409 (a request with this key still in flight), 429 (rate limited) and
 * `idempotency_error` (same key, other parameters: the first request may have gone through).
 * Everything else, no answer, a 5xx, or a 200 we could not read, leaves the outcome unknown.
 */
export function refusedOutright(error: unknown): boolean {
  return (
    error instanceof PaymentProviderError &&
    error.providerCode !== 'idempotency_error' &&
    error.providerStatus !== undefined &&
    error.providerStatus >= 400 &&
    error.providerStatus < 500 &&
    error.providerStatus !== 409 &&
    error.providerStatus !== 429
  );
}

const PROVIDER_NAMES = ['simulated', 'stripe'] as const;
const WEBHOOK_DELIVERY_TIMEOUT_MS = 5_000;

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
  let provider: PaymentProvider;
  if (name === 'stripe') {
    const keySecretArn = requireEnv('STRIPE_API_KEY_SECRET_ARN');
    provider = stripeProvider({
      // Secret values are often saved with a trailing newline; Stripe would reject the key.
      apiKey: async () => (await secretString(keySecretArn)).trim(),
      ...(process.env.STRIPE_API_BASE ? { baseUrl: process.env.STRIPE_API_BASE } : {}),
    });
  } else if (name === 'simulated') {
    provider = simulatedProvider({
      deliver: webhookDelivery(requireEnv('PAYMENT_WEBHOOK_URL'), requireEnv('PAYMENT_WEBHOOK_SECRET_ARN')),
    });
  } else {
    throw new Error(
      `Configuration error: PAYMENT_PROVIDER is '${name}'; expected one of ${PROVIDER_NAMES.join(', ')}.`,
    );
  }
  cached = { name, provider };
  return provider;
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
