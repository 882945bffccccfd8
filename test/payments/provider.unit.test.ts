import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PaymentProviderError } from '../../functions/payments/provider.ts';
import { paymentProvider } from '../../functions/payments/providers.ts';

const VARIABLES = [
  'PAYMENT_PROVIDER',
  'PAYMENT_WEBHOOK_URL',
  'PAYMENT_WEBHOOK_SECRET_ARN',
  'STRIPE_API_KEY_SECRET_ARN',
  'STRIPE_API_BASE',
] as const;

/** The configured provider is `name`, built once: every later call answers the same instance. */
function expectOneProvider(name: string): void {
  const provider = paymentProvider();
  expect(provider.name).toBe(name);
  expect(paymentProvider()).toBe(provider);
}

describe('paymentProvider', () => {
  const saved: Partial<Record<string, string>> = {};
  beforeEach(() => {
    for (const name of VARIABLES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('refuses to guess when PAYMENT_PROVIDER is not set (no silent fallback to the simulator)', () => {
    expect(() => paymentProvider()).toThrow(/Configuration error: environment variable PAYMENT_PROVIDER/);
  });

  it('names the bad value and the accepted ones when PAYMENT_PROVIDER is unknown', () => {
    process.env.PAYMENT_PROVIDER = 'paypal';
    expect(() => paymentProvider()).toThrow(
      "Configuration error: PAYMENT_PROVIDER is 'paypal'; expected one of simulated, stripe.",
    );
    process.env.PAYMENT_PROVIDER = 'Stripe';
    expect(() => paymentProvider()).toThrow(/'Stripe'/);
  });

  it('builds the simulated provider once per instance, and only with its webhook settings', () => {
    process.env.PAYMENT_PROVIDER = 'simulated';
    expect(() => paymentProvider()).toThrow(/PAYMENT_WEBHOOK_URL/);
    process.env.PAYMENT_WEBHOOK_URL = 'http://127.0.0.1:1/webhooks/payments';
    expect(() => paymentProvider()).toThrow(/PAYMENT_WEBHOOK_SECRET_ARN/);
    process.env.PAYMENT_WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook';
    expectOneProvider('simulated');
  });

  it('builds the Stripe provider only with the API key secret configured', () => {
    process.env.PAYMENT_PROVIDER = 'stripe';
    expect(() => paymentProvider()).toThrow(/STRIPE_API_KEY_SECRET_ARN/);
    process.env.STRIPE_API_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stripe';
    expectOneProvider('stripe');
  });
});

describe('PaymentProviderError', () => {
  it('is an Error carrying the provider’s status and code', () => {
    const error = new PaymentProviderError('Stripe answered HTTP 503.', {
      providerStatus: 503,
      providerCode: 'api_error',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PaymentProviderError');
    expect(error.message).toBe('Stripe answered HTTP 503.');
    expect(error.providerStatus).toBe(503);
    expect(error.providerCode).toBe('api_error');
    expect(new PaymentProviderError('unreachable').providerStatus).toBeUndefined();
  });
});
