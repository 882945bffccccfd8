import type { ChargeRequest } from '../../functions/payments/provider.ts';

/**
 * A charge of 42.00 EUR for one order's first attempt, as the payment service asks a provider
 * for it; `idempotencyKey` is the provider key (one per attempt, so one per test that wants a
 * new charge).
 */
export const chargeRequest = (
  paymentMethod: string,
  idempotencyKey: string,
  overrides: Partial<ChargeRequest> = {},
): ChargeRequest => ({
  orderId: '01JORDER0000000000000000AA',
  attempt: 1,
  amount: 4200,
  currency: 'EUR',
  paymentMethod,
  idempotencyKey,
  ...overrides,
});
