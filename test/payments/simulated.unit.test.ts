import { describe, expect, it, vi } from 'vitest';
import type { ChargeRequest } from '../../functions/payments/provider.ts';
import { PaymentProviderError } from '../../functions/payments/provider.ts';
import {
  type SimulatedChallenge,
  simulatedChallengeOutcome,
  simulatedPendingCompletion,
  simulatedProvider,
} from '../../functions/payments/simulated.ts';
import { parseStripeEvent } from '../../functions/payments/webhook.ts';
import { chargeRequest } from '../support/payments.ts';

/** A simulated provider whose deliveries land in a spy, parsed back into payment events. */
function simulator() {
  const deliver = vi.fn(async (_eventBody: string) => undefined);
  const provider = simulatedProvider({ deliver });
  const delivered = () => deliver.mock.calls.map(([eventBody]) => parseStripeEvent(Buffer.from(eventBody)));
  return { provider, deliver, delivered };
}

const charge = (paymentMethod: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest =>
  chargeRequest(paymentMethod, `order-01JORDER-attempt-1-${paymentMethod}`, overrides);

describe('simulatedProvider charges', () => {
  it.each([
    ['pm_card_visa', 'succeeded', undefined],
    ['pm_card_mastercard', 'succeeded', undefined],
    ['pm_card_chargeDeclined', 'failed', 'card_declined'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'failed', 'insufficient_funds'],
    ['pm_card_pending', 'pending', undefined],
    ['pm_card_unknown', 'failed', 'invalid_payment_method'],
    ['toString', 'failed', 'invalid_payment_method'],
  ])('answers %s with %s (%s)', async (paymentMethod, status, failureReason) => {
    const { provider } = simulator();
    const result = await provider.charge(charge(paymentMethod));
    expect(result.status).toBe(status);
    expect(result.failureReason).toBe(failureReason);
    expect(result.providerPaymentId).toMatch(/^pi_sim_[0-9a-f]{24}$/);
    if (failureReason === undefined) expect(result).not.toHaveProperty('failureReason');
  });

  it('calls itself simulated', () => {
    expect(simulator().provider.name).toBe('simulated');
  });

  it('derives the payment id from the idempotency key: a retry is the same payment, on any instance', async () => {
    const first = simulator();
    const second = simulator();
    const request = charge('pm_card_visa');
    const original = await first.provider.charge(request);
    expect(await first.provider.charge(request)).toEqual(original);
    expect(await second.provider.charge(request)).toEqual(original);
    const otherKey = await first.provider.charge({ ...request, idempotencyKey: 'order-01JORDER-attempt-2' });
    expect(otherKey.providerPaymentId).not.toBe(original.providerPaymentId);
  });

  it('delivers a signed-to-be payment_intent.succeeded event for the order before answering', async () => {
    const { provider, delivered } = simulator();
    const result = await provider.charge(charge('pm_card_visa'));
    expect(delivered()).toEqual([
      {
        id: expect.stringMatching(/^evt_sim_[0-9a-f]{24}$/),
        type: 'payment.succeeded',
        providerType: 'payment_intent.succeeded',
        orderId: '01JORDER0000000000000000AA',
        attempt: 1,
        providerPaymentId: result.providerPaymentId,
        amount: 4200,
        currency: 'EUR',
        created: expect.any(Number),
      },
    ]);
  });

  it('delivers payment_intent.payment_failed with the decline reason for a declined card', async () => {
    const { provider, delivered } = simulator();
    const result = await provider.charge(charge('pm_card_chargeDeclinedInsufficientFunds'));
    expect(delivered()).toEqual([
      expect.objectContaining({
        type: 'payment.failed',
        providerType: 'payment_intent.payment_failed',
        providerPaymentId: result.providerPaymentId,
        failureReason: 'insufficient_funds',
      }),
    ]);
  });

  it('redelivers a retried charge under the same event id, so the webhook sees one event', async () => {
    const { provider, delivered } = simulator();
    await provider.charge(charge('pm_card_visa'));
    await provider.charge(charge('pm_card_visa'));
    const [first, second] = delivered();
    expect(first?.id).toBeDefined();
    expect(second?.id).toBe(first?.id);
    // Another payment's event is another event.
    await provider.charge(charge('pm_card_visa', { idempotencyKey: 'another-attempt' }));
    expect(delivered()[2]?.id).not.toBe(first?.id);
  });

  it('delivers nothing now for a pending payment; its completion event comes later with the success event id', async () => {
    const { provider, deliver } = simulator();
    const request = charge('pm_card_pending');
    const result = await provider.charge(request);
    expect(result.status).toBe('pending');
    expect(deliver).not.toHaveBeenCalled();

    const completion = simulatedPendingCompletion({
      ...request,
      providerPaymentId: result.providerPaymentId,
    });
    expect(parseStripeEvent(Buffer.from(completion))).toEqual({
      id: expect.stringMatching(/^evt_sim_/),
      type: 'payment.succeeded',
      providerType: 'payment_intent.succeeded',
      orderId: request.orderId,
      attempt: request.attempt,
      providerPaymentId: result.providerPaymentId,
      amount: 4200,
      currency: 'EUR',
      created: expect.any(Number),
    });
    expect(JSON.parse(completion).data.object).toMatchObject({ amount: 4200, currency: 'eur' });
    // The id an immediate success of this payment would have carried: one settlement, one event id.
    const immediate = simulator();
    await immediate.provider.charge({ ...request, paymentMethod: 'pm_card_visa' });
    expect(parseStripeEvent(Buffer.from(completion)).id).toBe(immediate.delivered()[0]?.id);
  });

  it('fails the charge when delivery fails (the factory’s deliver is the one that swallows)', async () => {
    const provider = simulatedProvider({ deliver: async () => Promise.reject(new Error('webhook down')) });
    await expect(provider.charge(charge('pm_card_visa'))).rejects.toThrow('webhook down');
  });

  it('rejects, like Stripe, an idempotency key reused with different parameters', async () => {
    const { provider } = simulator();
    await provider.charge(charge('pm_card_chargeDeclined', { idempotencyKey: 'attempt-1' }));
    const reused = provider.charge(charge('pm_card_visa', { idempotencyKey: 'attempt-1' }));
    await expect(reused).rejects.toBeInstanceOf(PaymentProviderError);
    await expect(reused).rejects.toMatchObject({ providerStatus: 400, providerCode: 'idempotency_error' });
  });

  it('rejects amounts that are not positive integers and currencies that are not upper-case ISO codes', async () => {
    const { provider, deliver } = simulator();
    for (const amount of [0, -1, 12.5, Number.NaN, 2 ** 53]) {
      await expect(provider.charge(charge('pm_card_visa', { amount }))).rejects.toMatchObject({
        name: 'PaymentProviderError',
        providerCode: 'parameter_invalid_integer',
      });
    }
    for (const currency of ['eur', 'EURO', '', 'E1R']) {
      await expect(provider.charge(charge('pm_card_visa', { currency }))).rejects.toMatchObject({
        providerCode: 'invalid_currency',
      });
    }
    expect(deliver).not.toHaveBeenCalled();
  });
});

describe('simulatedProvider refunds', () => {
  it('refunds a simulated payment and delivers charge.refunded for its order', async () => {
    const { provider, delivered, deliver } = simulator();
    const paid = await provider.charge(charge('pm_card_visa'));
    deliver.mockClear();
    const refund = {
      orderId: '01JORDER0000000000000000AA',
      providerPaymentId: paid.providerPaymentId,
      amount: 4200,
      currency: 'EUR',
      idempotencyKey: 'refund-01JORDER',
    };
    const result = await provider.refund(refund);
    expect(result).toEqual({
      providerRefundId: expect.stringMatching(/^re_sim_[0-9a-f]{24}$/),
      status: 'succeeded',
    });
    expect(delivered()).toEqual([
      {
        id: expect.stringMatching(/^evt_sim_/),
        type: 'payment.refunded',
        providerType: 'charge.refunded',
        orderId: refund.orderId,
        providerPaymentId: paid.providerPaymentId,
        amount: 4200,
        currency: 'EUR',
        created: expect.any(Number),
      },
    ]);
    // A retried refund is the same refund and the same event.
    expect(await simulator().provider.refund(refund)).toEqual(result);
    await provider.refund(refund);
    expect(delivered()[1]?.id).toBe(delivered()[0]?.id);
  });

  it('rejects refunds of payments it never made', async () => {
    const { provider, deliver } = simulator();
    const refund = provider.refund({
      orderId: 'o',
      providerPaymentId: 'pi_3MtwBwLkdIwHu7ix28a3tqPa',
      amount: 100,
      currency: 'EUR',
      idempotencyKey: 'refund-o',
    });
    await expect(refund).rejects.toMatchObject({
      name: 'PaymentProviderError',
      providerCode: 'resource_missing',
    });
    expect(deliver).not.toHaveBeenCalled();
  });
});

describe('simulatedProvider lookups and late settlements', () => {
  it('hands a pending charge’s completion event to settleLater, keyed by the payment', async () => {
    const settleLater = vi.fn(async (_providerPaymentId: string, _eventBody: string) => undefined);
    const provider = simulatedProvider({ deliver: async () => undefined, settleLater });
    const result = await provider.charge(charge('pm_card_pending'));
    expect(settleLater).toHaveBeenCalledTimes(1);
    const [providerPaymentId, body] = settleLater.mock.calls[0] ?? [];
    expect(providerPaymentId).toBe(result.providerPaymentId);
    expect(parseStripeEvent(Buffer.from(String(body)))).toMatchObject({
      type: 'payment.succeeded',
      providerPaymentId: result.providerPaymentId,
    });
  });

  it.each([
    ['pm_card_visa', 'succeeded', undefined],
    ['pm_card_chargeDeclined', 'failed', 'card_declined'],
    ['pm_card_pending', 'pending', undefined],
  ])(
    'finds the payment of an attempt with %s as the charge made it: %s',
    async (paymentMethod, status, reason) => {
      const { provider } = simulator();
      const request = charge(paymentMethod);
      const charged = await provider.charge(request);
      const found = await provider.findPayment({ ...request, orderId: request.orderId });
      expect(found).toEqual({
        providerPaymentId: charged.providerPaymentId,
        status,
        ...(reason ? { failureReason: reason } : {}),
        amount: 4200,
        currency: 'EUR',
      });
    },
  );
});

describe('simulatedProvider 3-D Secure', () => {
  /** A simulator with a challenge page: the challenges it holds land in a list. */
  function withChallenges() {
    const held: SimulatedChallenge[] = [];
    const deliver = vi.fn(async (_eventBody: string) => undefined);
    const provider = simulatedProvider({
      deliver,
      holdChallenge: async (challenge) => void held.push(challenge),
      challengeUrl: (id) => `https://api.test/simulated-payments/${id}/challenge`,
      returnUrl: (orderId) => `https://shop.test/done?orderId=${orderId}`,
    });
    return { provider, held, deliver };
  }

  it.each(['pm_card_threeDSecure2Required', 'pm_card_threeDSecureRequiredChargeDeclined'])(
    'answers %s with requires_action, a client secret and the challenge page as a redirect, and sends no event yet',
    async (method) => {
      const { provider, held, deliver } = withChallenges();
      const request = charge(method);
      const result = await provider.charge(request);
      expect(result).toEqual({
        providerPaymentId: expect.stringMatching(/^pi_sim_[0-9a-f]{24}$/),
        status: 'requires_action',
        action: {
          clientSecret: expect.stringMatching(
            new RegExp(`^${result.providerPaymentId}_secret_[0-9a-f]{24}$`),
          ),
          nextAction: {
            type: 'redirect_to_url',
            redirectToUrl: {
              url: `https://api.test/simulated-payments/${result.providerPaymentId}/challenge`,
              returnUrl: `https://shop.test/done?orderId=${request.orderId}`,
            },
          },
        },
      });
      expect(held).toEqual([
        expect.objectContaining({
          providerPaymentId: result.providerPaymentId,
          orderId: request.orderId,
          attempt: 1,
          amount: request.amount,
          currency: request.currency,
          paymentMethod: method,
        }),
      ]);
      expect(deliver).not.toHaveBeenCalled();
      // A retry with the key is the same payment and the same secret.
      expect(await provider.charge(request)).toEqual(result);
    },
  );

  it('refuses a 3-D Secure charge when no challenge page is configured (a provider error, nothing charged)', async () => {
    const error = await simulator()
      .provider.charge(charge('pm_card_threeDSecure2Required'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentProviderError);
  });

  const challenge = (paymentMethod: string): SimulatedChallenge => ({
    providerPaymentId: 'pi_sim_0123456789abcdef01234567',
    orderId: '01JORDER0000000000000000AA',
    attempt: 2,
    amount: 4200,
    currency: 'EUR',
    paymentMethod,
    returnUrl: 'https://shop.test/done',
  });
  const outcome = (paymentMethod: string, passed: boolean) =>
    parseStripeEvent(Buffer.from(simulatedChallengeOutcome(challenge(paymentMethod), passed)));

  it('sends what Stripe sends after the challenge: succeeded, declined after authenticating, or an authentication failure', () => {
    expect(outcome('pm_card_threeDSecure2Required', true)).toMatchObject({
      type: 'payment.succeeded',
      providerType: 'payment_intent.succeeded',
      orderId: '01JORDER0000000000000000AA',
      attempt: 2,
      providerPaymentId: 'pi_sim_0123456789abcdef01234567',
      amount: 4200,
      currency: 'EUR',
    });
    expect(outcome('pm_card_threeDSecureRequiredChargeDeclined', true)).toMatchObject({
      type: 'payment.failed',
      failureReason: 'card_declined',
    });
    for (const method of ['pm_card_threeDSecure2Required', 'pm_card_threeDSecureRequiredChargeDeclined']) {
      expect(outcome(method, false)).toMatchObject({
        type: 'payment.failed',
        providerType: 'payment_intent.payment_failed',
        failureReason: 'payment_intent_authentication_failure',
        attempt: 2,
      });
    }
    // The same answer is the same event (a redelivery is recognisably one).
    expect(outcome('pm_card_threeDSecure2Required', true).id).toBe(
      outcome('pm_card_threeDSecure2Required', true).id,
    );
  });
});
