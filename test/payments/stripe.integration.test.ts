import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChargeRequest, PaymentProvider } from '../../functions/payments/provider.ts';
import { PaymentProviderError } from '../../functions/payments/provider.ts';
import { stripeProvider } from '../../functions/payments/stripe.ts';
import { FAKE_STRIPE_KEY, type FakeStripe, startFakeStripe } from '../support/fake-stripe.ts';
import { chargeRequest } from '../support/payments.ts';

let stripe: FakeStripe;
let provider: PaymentProvider;
let keyCounter = 0;

const charge = (paymentMethod: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest =>
  chargeRequest(paymentMethod, `order-01JORDER-attempt-${++keyCounter}`, overrides);

/** The error a promise rejects with, which must be a PaymentProviderError. */
async function providerErrorOf(promise: Promise<unknown>): Promise<PaymentProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PaymentProviderError);
  return error as PaymentProviderError;
}

/** Where the provider tells Stripe to send the customer back after 3-D Secure. */
const returnUrl = (orderId: string) => `https://shop.test/checkout/complete?orderId=${orderId}`;

const succeededIntents = () =>
  stripe.ledger.filter((entry) => entry.object === 'payment_intent' && entry.status === 'succeeded');

beforeAll(async () => {
  stripe = await startFakeStripe();
  provider = stripeProvider({ returnUrl, apiKey: async () => FAKE_STRIPE_KEY, baseUrl: stripe.url });
});
afterAll(async () => {
  await stripe.stop();
});

describe('stripeProvider against a Stripe-like API', () => {
  it('creates and confirms a payment intent with the documented form fields and headers', async () => {
    const request = charge('pm_card_visa');
    const result = await provider.charge(request);
    expect(result).toEqual({ providerPaymentId: expect.stringMatching(/^pi_/), status: 'succeeded' });
    const sent = stripe.requests.at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/payment_intents');
    expect(sent?.headers.authorization).toBe(`Bearer ${FAKE_STRIPE_KEY}`);
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.headers['idempotency-key']).toBe(request.idempotencyKey);
    expect(sent?.headers['stripe-version']).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(sent?.form).toEqual({
      amount: '4200',
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'automatic_payment_methods[enabled]': 'true',
      return_url: returnUrl(request.orderId),
      'metadata[orderId]': request.orderId,
      'metadata[attempt]': '1',
    });
    expect(stripe.ledger.at(-1)).toMatchObject({
      id: result.providerPaymentId,
      amount: 4200,
      currency: 'eur',
    });
  });

  it('reports a declined card as a failed charge with Stripe’s decline code as the reason', async () => {
    expect(await provider.charge(charge('pm_card_chargeDeclined'))).toEqual({
      providerPaymentId: expect.stringMatching(/^pi_/),
      status: 'failed',
      failureReason: 'generic_decline',
    });
    expect(await provider.charge(charge('pm_card_chargeDeclinedInsufficientFunds'))).toMatchObject({
      status: 'failed',
      failureReason: 'insufficient_funds',
    });
  });

  it('reports a processing payment as pending', async () => {
    expect(await provider.charge(charge('pm_card_pending'))).toEqual({
      providerPaymentId: expect.stringMatching(/^pi_/),
      status: 'pending',
    });
  });

  it.each([
    'pm_card_threeDSecure2Required',
    'pm_card_threeDSecureRequiredChargeDeclined',
    'pm_card_authenticationRequired',
  ])(
    'reports %s as requires_action with the client secret and the redirect next action, camel-cased',
    async (method) => {
      const request = charge(method);
      const result = await provider.charge(request);
      const intent = stripe.ledger.at(-1);
      expect(result).toEqual({
        providerPaymentId: intent?.id,
        status: 'requires_action',
        action: {
          clientSecret: expect.stringMatching(new RegExp(`^${intent?.id}_secret_`)),
          nextAction: {
            type: 'redirect_to_url',
            redirectToUrl: {
              url: expect.stringMatching(/^https:\/\/hooks\.stripe\.com\/3d_secure_2\//),
              returnUrl: returnUrl(request.orderId),
            },
          },
        },
      });
      expect(intent?.status).toBe('requires_action');
    },
  );

  it('finds a requires_action intent with its action, and the same intent settled once the challenge is passed', async () => {
    const first = await provider.charge(charge('pm_card_threeDSecure2Required'));
    const lookup = {
      orderId: '01JORDER0000000000000000AA',
      attempt: 1,
      idempotencyKey: 'unused',
      paymentMethod: 'x',
      amount: 4200,
      currency: 'EUR',
      providerPaymentId: first.providerPaymentId,
    };
    expect(await provider.findPayment(lookup)).toMatchObject({
      status: 'requires_action',
      action: first.action,
    });
    stripe.settleIntent(first.providerPaymentId, 'succeeded');
    const settled = await provider.findPayment(lookup);
    expect(settled).toMatchObject({ status: 'succeeded', amount: 4200, currency: 'EUR' });
    expect(settled?.action).toBeUndefined();
  });

  it('retries a 500 with the same Idempotency-Key and charges once', async () => {
    const request = charge('pm_card_visa');
    const before = { requests: stripe.requests.length, charges: succeededIntents().length };
    stripe.failNext(500);
    const result = await provider.charge(request);
    expect(result.status).toBe('succeeded');
    const attempts = stripe.requests.slice(before.requests);
    expect(attempts).toHaveLength(2);
    expect(attempts.map((attempt) => attempt.headers['idempotency-key'])).toEqual([
      request.idempotencyKey,
      request.idempotencyKey,
    ]);
    expect(succeededIntents()).toHaveLength(before.charges + 1);
  });

  it('answers a repeated call with a used key with the first charge, not a second one', async () => {
    const request = charge('pm_card_visa');
    const first = await provider.charge(request);
    const charges = succeededIntents().length;
    expect(await provider.charge(request)).toEqual(first);
    expect(succeededIntents()).toHaveLength(charges);
  });

  it('retries 429 and 503 as well, and gives up after two retries with a PaymentProviderError', async () => {
    stripe.failNext(429);
    expect((await provider.charge(charge('pm_card_visa'))).status).toBe('succeeded');
    const before = stripe.requests.length;
    stripe.failNext(503, 3);
    const error = await providerErrorOf(provider.charge(charge('pm_card_visa')));
    expect(stripe.requests.length - before).toBe(3);
    expect(error.providerStatus).toBe(503);
    expect(error.message).toMatch(/HTTP 503/);
  });

  it('turns a wrong API key (401) into a PaymentProviderError that does not contain the key', async () => {
    const secretKey = 'sk_live_do_not_leak_51Hx9';
    const misconfigured = stripeProvider({ returnUrl, apiKey: async () => secretKey, baseUrl: stripe.url });
    const before = stripe.requests.length;
    const error = await providerErrorOf(misconfigured.charge(charge('pm_card_visa')));
    expect(error.providerStatus).toBe(401);
    expect(stripe.requests.length - before).toBe(1);
    // The fake quotes the key it was given in its error message; we never pass that text on.
    expect(JSON.stringify(stripe.requests.at(-1))).toContain(secretKey);
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secretKey);
    expect(`${error.message}`).not.toContain('do_not_leak');
  });

  it('treats other 4xx answers as our bug: a PaymentProviderError naming Stripe’s code, without retrying', async () => {
    const before = stripe.requests.length;
    const error = await providerErrorOf(provider.charge(charge('pm_card_doesNotExist')));
    expect(stripe.requests.length - before).toBe(1);
    expect(error).toMatchObject({ providerStatus: 400, providerCode: 'resource_missing' });
    expect(error.message).toMatch(/HTTP 400.*resource_missing.*param payment_method/);
    expect(error.message).not.toContain('pm_card_doesNotExist');
  });

  it('surfaces a key reused with different parameters as Stripe’s idempotency error', async () => {
    const declined = charge('pm_card_chargeDeclined');
    await provider.charge(declined);
    const error = await providerErrorOf(provider.charge({ ...declined, paymentMethod: 'pm_card_visa' }));
    expect(error.providerStatus).toBe(400);
    expect(error.providerCode).toBe('idempotency_error');
  });

  it('refunds a payment intent with its amount, order metadata and idempotency key', async () => {
    const paid = await provider.charge(charge('pm_card_visa'));
    const refund = {
      orderId: '01JORDER0000000000000000AA',
      providerPaymentId: paid.providerPaymentId,
      amount: 4200,
      currency: 'EUR',
      idempotencyKey: `refund-${paid.providerPaymentId}`,
    };
    const result = await provider.refund(refund);
    expect(result).toEqual({ providerRefundId: expect.stringMatching(/^re_/), status: 'succeeded' });
    const sent = stripe.requests.at(-1);
    expect(sent?.path).toBe('/v1/refunds');
    expect(sent?.headers['idempotency-key']).toBe(refund.idempotencyKey);
    expect(sent?.form).toEqual({
      payment_intent: paid.providerPaymentId,
      amount: '4200',
      'metadata[orderId]': refund.orderId,
    });
    // Retried after a 502: same refund, refunded once.
    stripe.failNext(502);
    expect(await provider.refund(refund)).toEqual(result);
    expect(stripe.ledger.filter((entry) => entry.paymentIntent === paid.providerPaymentId)).toHaveLength(1);
  });

  it('fails a refund Stripe refuses with a PaymentProviderError', async () => {
    const error = await providerErrorOf(
      provider.refund({
        orderId: 'o',
        providerPaymentId: 'pi_unknown',
        amount: 100,
        currency: 'EUR',
        idempotencyKey: 'refund-unknown',
      }),
    );
    expect(error).toMatchObject({ providerStatus: 400, providerCode: 'resource_missing' });
  });

  it('retries a network failure and then reports Stripe unreachable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let calls = 0;
    const unreachable = stripeProvider({
      returnUrl,
      apiKey: async () => FAKE_STRIPE_KEY,
      baseUrl: `http://127.0.0.1:${port}`,
      fetchImpl: (input, init) => {
        calls++;
        expect(init?.signal).toBeInstanceOf(AbortSignal);
        return fetch(input, init);
      },
    });
    const error = await providerErrorOf(unreachable.charge(charge('pm_card_visa')));
    expect(calls).toBe(3);
    expect(error.providerStatus).toBeUndefined();
    expect(error.message).toMatch(/could not be reached/);
    expect(error.message).not.toContain(FAKE_STRIPE_KEY);
  });

  it('recovers when a network failure is followed by an answer', async () => {
    let calls = 0;
    const flaky = stripeProvider({
      returnUrl,
      apiKey: async () => FAKE_STRIPE_KEY,
      baseUrl: stripe.url,
      fetchImpl: (input, init) =>
        ++calls === 1 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init),
    });
    expect((await flaky.charge(charge('pm_card_visa'))).status).toBe('succeeded');
    expect(calls).toBe(2);
  });

  it('reports an answer it cannot understand as a PaymentProviderError, without retrying', async () => {
    const answers = [
      new Response('<html>gateway</html>', { status: 200 }),
      new Response(JSON.stringify({ id: 'pi_1', status: 'requires_capture' }), { status: 200 }),
      new Response(JSON.stringify({ status: 'succeeded' }), { status: 200 }),
    ];
    for (const answer of answers) {
      let calls = 0;
      const odd = stripeProvider({
        returnUrl,
        apiKey: async () => FAKE_STRIPE_KEY,
        fetchImpl: async () => {
          calls++;
          return answer;
        },
      });
      const error = await providerErrorOf(odd.charge(charge('pm_card_visa')));
      expect(error.message).toMatch(/not understand/);
      expect(calls).toBe(1);
    }
  });
});

describe('stripeProvider looks payments up', () => {
  const lookupOf = (request: ChargeRequest, providerPaymentId?: string) => ({
    orderId: request.orderId,
    attempt: request.attempt,
    idempotencyKey: request.idempotencyKey,
    paymentMethod: request.paymentMethod,
    amount: request.amount,
    currency: request.currency,
    ...(providerPaymentId ? { providerPaymentId } : {}),
  });

  it('by id when it is known (GET /v1/payment_intents/{id}), with amount and currency', async () => {
    const request = charge('pm_card_visa', { orderId: '01JORDER0000000000000000BB' });
    const { providerPaymentId } = await provider.charge(request);
    const found = await provider.findPayment(lookupOf(request, providerPaymentId));
    expect(found).toEqual({ providerPaymentId, status: 'succeeded', amount: 4200, currency: 'EUR' });
    expect(stripe.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/v1/payment_intents/${providerPaymentId}`,
    });
  });

  it('by the order and attempt in its metadata when only those are known (search), declines with their reason', async () => {
    const request = charge('pm_card_chargeDeclinedInsufficientFunds', {
      orderId: '01JORDER0000000000000000CC',
      attempt: 3,
    });
    await provider.charge(request);
    const found = await provider.findPayment(lookupOf(request));
    expect(found).toMatchObject({ status: 'failed', failureReason: 'insufficient_funds' });
    const search = stripe.requests.at(-1);
    expect(search).toMatchObject({ method: 'GET', path: '/v1/payment_intents/search' });
  });

  it('answers undefined when Stripe has no such payment, by id or by metadata', async () => {
    const request = charge('pm_card_visa', { orderId: '01JORDER0000000000000000DD' });
    expect(await provider.findPayment(lookupOf(request))).toBeUndefined();
    expect(await provider.findPayment(lookupOf(request, 'pi_does_not_exist'))).toBeUndefined();
  });

  it('reports Stripe failing the lookup as a PaymentProviderError after its retries', async () => {
    stripe.failNext(500, 3);
    await providerErrorOf(provider.findPayment(lookupOf(charge('pm_card_visa'))));
  });
});
