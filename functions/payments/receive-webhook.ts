import { declareEnv, requireEnv, secretArn } from '../core/config.ts';
import { badRequest } from '../core/errors.ts';
import { http, ok } from '../core/http.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { countMetric } from '../core/metrics.ts';
import { secretString } from '../core/secrets.ts';
import { applyPaymentEvent } from './service.ts';
import { parseStripeEvent, verifyStripeSignature } from './webhook.ts';

declareEnv('PAYMENT_WEBHOOK_SECRET_ARN', secretArn);

const MAX_WEBHOOK_BYTES = 256 * 1024;

/**
 * POST /webhooks/payments: the provider's events. The signature is checked over the exact
 * raw bytes (decoded from base64 when API Gateway encoded them) before anything is parsed;
 * a bad or missing signature is a 400 with no effect. Stripe's events are far below 256 KiB.
 */
export const handler = http(
  async (event) => {
    const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const secret = await secretString(requireEnv('PAYMENT_WEBHOOK_SECRET_ARN'));
    if (!verifyStripeSignature(raw, event.headers['stripe-signature'], secret)) {
      countMetric(BUSINESS_METRICS.WebhookSignatureRejected);
      throw badRequest('The Stripe-Signature header is missing or does not match the body.');
    }
    const outcome = await applyPaymentEvent(parseStripeEvent(raw));
    return ok({ received: true, outcome });
  },
  // The signature covers the exact bytes: the stack only bounds their size (413 above it).
  { rawBody: true, maxBodyBytes: MAX_WEBHOOK_BYTES },
);
