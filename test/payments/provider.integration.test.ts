import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChargeRequest } from '../../functions/payments/provider.ts';
import { paymentProvider } from '../../functions/payments/providers.ts';
import { parseStripeEvent, verifyStripeSignature } from '../../functions/payments/webhook.ts';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../lib/local/secretsmanager/index.ts';
import { FAKE_STRIPE_KEY, type FakeStripe, startFakeStripe } from '../support/fake-stripe.ts';
import { quietLogger } from '../support/logs.ts';
import { LOCAL_CREDENTIALS } from '../support/table.ts';

const WEBHOOK_SECRET = 'whsec_local_test_secret';
const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:payments-webhook';
const STRIPE_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:payments-stripe-key';

interface Delivery {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

interface WebhookReceiver {
  readonly url: string;
  readonly deliveries: Delivery[];
  /** The status the next deliveries are answered with. */
  status: number;
  stop(): Promise<void>;
}

/** Our webhook endpoint's stand-in: records what arrives and answers `status`. */
async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const answer = { status: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/payments`,
    deliveries,
    get status() {
      return answer.status;
    },
    set status(status: number) {
      answer.status = status;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const charge = (paymentMethod: string, idempotencyKey: string): ChargeRequest => ({
  orderId: '01JORDER0000000000000000AA',
  attempt: 1,
  amount: 1500,
  currency: 'USD',
  paymentMethod,
  idempotencyKey,
});

let secrets: LocalSecretsManager;
let receiver: WebhookReceiver;
let stripe: FakeStripe;

beforeAll(async () => {
  [secrets, receiver, stripe] = await Promise.all([
    startLocalSecretsManager({
      secrets: [
        { arn: WEBHOOK_SECRET_ARN, name: 'payments-webhook', value: WEBHOOK_SECRET },
        // Saved with a trailing newline, as `echo key > file` would: the provider trims it.
        { arn: STRIPE_KEY_SECRET_ARN, name: 'payments-stripe-key', value: `${FAKE_STRIPE_KEY}\n` },
      ],
    }),
    startWebhookReceiver(),
    startFakeStripe(),
  ]);
  // What a deployed function's environment would hold.
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  process.env.PAYMENT_WEBHOOK_URL = receiver.url;
  process.env.PAYMENT_WEBHOOK_SECRET_ARN = WEBHOOK_SECRET_ARN;
  process.env.STRIPE_API_KEY_SECRET_ARN = STRIPE_KEY_SECRET_ARN;
  process.env.STRIPE_API_BASE = stripe.url;
  process.env.PAYMENT_RETURN_URL = 'https://shop.test/checkout/complete';
  process.env.SIMULATED_CHALLENGE_URL = 'https://api.shop.test/simulated-payments';
});
afterAll(async () => {
  await Promise.all([secrets?.stop(), receiver?.stop(), stripe?.stop()]);
});

describe('paymentProvider() = simulated', () => {
  beforeEach(() => {
    process.env.PAYMENT_PROVIDER = 'simulated';
    receiver.status = 200;
    receiver.deliveries.length = 0;
  });

  it('posts the charge’s event to PAYMENT_WEBHOOK_URL, signed with the webhook secret from Secrets Manager', async () => {
    const result = await paymentProvider().charge(charge('pm_card_visa', 'simulated-visa'));
    expect(result.status).toBe('succeeded');
    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    expect(delivery?.headers['content-type']).toBe('application/json');
    const signature = delivery?.headers['stripe-signature'];
    expect(typeof signature).toBe('string');
    expect(verifyStripeSignature(delivery?.body ?? Buffer.alloc(0), String(signature), WEBHOOK_SECRET)).toBe(
      true,
    );
    expect(verifyStripeSignature(delivery?.body ?? Buffer.alloc(0), String(signature), 'whsec_other')).toBe(
      false,
    );
    expect(parseStripeEvent(delivery?.body ?? Buffer.alloc(0))).toMatchObject({
      type: 'payment.succeeded',
      orderId: '01JORDER0000000000000000AA',
      providerPaymentId: result.providerPaymentId,
    });
  });

  it('still answers the charge when the webhook endpoint rejects the delivery, and logs a warning', async () => {
    const logs = quietLogger();
    receiver.status = 500;
    const result = await paymentProvider().charge(charge('pm_card_chargeDeclined', 'simulated-declined'));
    expect(result).toMatchObject({ status: 'failed', failureReason: 'card_declined' });
    expect(receiver.deliveries).toHaveLength(1);
    expect(logs.warn).toHaveBeenCalledWith('simulated webhook delivery rejected', { status: 500 });
  });

  it('still answers the charge when the webhook endpoint is unreachable', async () => {
    const logs = quietLogger();
    const url = process.env.PAYMENT_WEBHOOK_URL;
    process.env.PAYMENT_WEBHOOK_URL = 'http://127.0.0.1:1/webhooks/payments';
    process.env.PAYMENT_PROVIDER = 'stripe';
    paymentProvider(); // Forget the cached simulated provider, which holds the old URL.
    process.env.PAYMENT_PROVIDER = 'simulated';
    try {
      const result = await paymentProvider().charge(charge('pm_card_visa', 'simulated-unreachable'));
      expect(result.status).toBe('succeeded');
      expect(logs.warn).toHaveBeenCalledWith('simulated webhook delivery failed', {
        error: expect.any(String),
      });
    } finally {
      process.env.PAYMENT_WEBHOOK_URL = url;
      process.env.PAYMENT_PROVIDER = 'stripe';
      paymentProvider();
    }
  });
});

describe('paymentProvider() = stripe', () => {
  beforeEach(() => {
    process.env.PAYMENT_PROVIDER = 'stripe';
  });

  it('charges through STRIPE_API_BASE with the API key from Secrets Manager', async () => {
    const result = await paymentProvider().charge(charge('pm_card_visa', 'stripe-visa'));
    expect(result).toEqual({ providerPaymentId: expect.stringMatching(/^pi_/), status: 'succeeded' });
    expect(stripe.requests.at(-1)?.headers.authorization).toBe(`Bearer ${FAKE_STRIPE_KEY}`);
    expect(stripe.ledger.at(-1)).toMatchObject({
      id: result.providerPaymentId,
      amount: 1500,
      currency: 'usd',
    });
  });
});
