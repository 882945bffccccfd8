import { describe, expect, it, vi } from 'vitest';
import type { ChargeRequest } from '../../functions/payments/provider.ts';
import { PaymentProviderError } from '../../functions/payments/provider.ts';
import { simulatedPendingCompletion, simulatedProvider } from '../../functions/payments/simulated.ts';
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
