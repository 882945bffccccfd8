/*
 * The payment provider port: what the order code needs from a card processor, and nothing
 * about any of them. Adapters (simulated.ts, stripe.ts) implement it; providers.ts chooses one
 * from the function's environment.
 */

import type { NextAction } from '../orders/model.ts';

/**
 * The synchronous outcome of a charge. `pending` settles later through a webhook event;
 * `requires_action` waits for the customer to authenticate (3-D Secure) at `nextAction`, and
 * then settles through a webhook event too (`payment_intent.succeeded` or `.payment_failed`).
 */
export type ChargeStatus = 'succeeded' | 'failed' | 'pending' | 'requires_action';

/** What a `requires_action` payment needs from the customer: the provider's client secret and where to go. */
export interface CustomerAction {
  readonly clientSecret: string;
  /** Absent when the provider asks for an action other than a redirect (its SDK handles it). */
  readonly nextAction?: NextAction;
}

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
  /** Set when `status` is `requires_action`. */
  readonly action?: CustomerAction;
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

/** Which payment attempt to look up: the order's attempt, and its provider id when it is known. */
export interface PaymentLookup {
  readonly orderId: string;
  readonly attempt: number;
  /** The attempt's provider idempotency key (what the charge was sent with). */
  readonly idempotencyKey: string;
  readonly paymentMethod: string;
  readonly amount: number;
  readonly currency: string;
  /** Known when the provider answered the charge at least once. */
  readonly providerPaymentId?: string;
}

/** What the provider knows of a payment: its id and outcome so far, amount and currency. */
export interface FoundPayment {
  readonly providerPaymentId: string;
  readonly status: ChargeStatus;
  readonly failureReason?: string;
  /** Set when `status` is `requires_action` and the provider said what the customer must do. */
  readonly action?: CustomerAction;
  /** Minor units, and ISO 4217 in upper case. */
  readonly amount?: number;
  readonly currency?: string;
}

/** What the order code needs from a card processor. */
export interface PaymentProvider {
  /** The adapter's name, for logs. */
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /**
   * The truth about an attempt whose outcome we do not know (its answer was lost, or the
   * provider keeps answering an error it cached for the key): by provider id when known, else by
   * the order id and attempt in the payment's metadata. Undefined when the provider has no
   * payment for the attempt. Reconciliation settles the attempt from it.
   */
  findPayment(lookup: PaymentLookup): Promise<FoundPayment | undefined>;
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
