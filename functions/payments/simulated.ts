import { createHash } from 'node:crypto';
import type {
  ChargeRequest,
  ChargeResult,
  ChargeStatus,
  PaymentProvider,
  RefundRequest,
} from './provider.ts';
import { PaymentProviderError } from './provider.ts';
import { stripeEventBody } from './webhook.ts';

/** How a test payment method answers a charge, and for 3-D Secure ones what the challenge leads to. */
interface Outcome {
  readonly status: ChargeStatus;
  readonly failureReason?: string;
  /** A `requires_action` method: the outcome once the customer passed the challenge. */
  readonly authenticated?: { readonly status: 'succeeded' | 'failed'; readonly failureReason?: string };
}

/**
 * The test payment methods, modelled on Stripe's test mode. `pm_card_pending` has no Stripe
 * twin: it stands for a payment that settles later (a bank's delay) and completes only through
 * a webhook event. The 3-D Secure ones answer `requires_action` and wait at the challenge page
 * (functions/payments/simulated-challenge.ts): `pm_card_threeDSecure2Required` (Stripe's
 * 4000 0000 0000 3220) then succeeds, `pm_card_threeDSecureRequiredChargeDeclined` (4000 0084
 * 0000 1629) is declined after authenticating; failing the challenge fails either.
 */
const OUTCOMES: Readonly<Record<string, Outcome>> = {
  pm_card_visa: { status: 'succeeded' },
  pm_card_mastercard: { status: 'succeeded' },
  pm_card_chargeDeclined: { status: 'failed', failureReason: 'card_declined' },
  pm_card_chargeDeclinedInsufficientFunds: { status: 'failed', failureReason: 'insufficient_funds' },
  pm_card_pending: { status: 'pending' },
  pm_card_threeDSecure2Required: { status: 'requires_action', authenticated: { status: 'succeeded' } },
  pm_card_authenticationRequired: { status: 'requires_action', authenticated: { status: 'succeeded' } },
  pm_card_threeDSecureRequiredChargeDeclined: {
    status: 'requires_action',
    authenticated: { status: 'failed', failureReason: 'card_declined' },
  },
};
/** Stripe's `last_payment_error.code` when the customer fails (or cancels) the 3-D Secure challenge. */
export const AUTHENTICATION_FAILURE = 'payment_intent_authentication_failure';
const UNKNOWN_METHOD = { status: 'failed', failureReason: 'invalid_payment_method' } as const;

const PAYMENT_ID_PREFIX = 'pi_sim_';
/** How many keys an instance remembers to catch a key reused with other parameters. */
const REMEMBERED_KEYS = 10_000;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 24);
const paymentIdFor = (idempotencyKey: string) => `${PAYMENT_ID_PREFIX}${digest(idempotencyKey)}`;
const refundIdFor = (idempotencyKey: string) => `re_sim_${digest(idempotencyKey)}`;
/** The same object and type always give the same event id, so a redelivery is recognisably one. */
const eventIdFor = (objectId: string, type: string) => `evt_sim_${digest(`${objectId}:${type}`)}`;

/**
 * A card processor's test mode without the processor. Everything it answers is a pure function
 * of the request: the payment id derives from the idempotency key and the outcome from the
 * payment method, so a retried charge (same key) is the same payment with the same outcome on
 * any instance, which is exactly Stripe's one-charge-per-key guarantee. Succeeded and failed
 * charges, and refunds, hand their Stripe-shaped event to `deliver` before returning (a failing
 * `deliver` fails the call); pending charges hand the event that completes them later
 * ({@link simulatedPendingCompletion}) to `settleLater`; 3-D Secure charges hand their challenge to
 * `holdChallenge` and answer `requires_action` with a client secret and the challenge page's
 * URL, whose completion sends the event ({@link simulatedChallengeOutcome}). Like Stripe, a key
 * reused with different parameters is rejected (detected within one instance only: that is a
 * caller bug, not a runtime condition).
 */
export function simulatedProvider(options: {
  deliver: (eventBody: string) => Promise<void>;
  /** Keeps the success event of a `pending` charge for delivery later (see {@link simulatedPendingCompletion}). */
  settleLater?: (providerPaymentId: string, eventBody: string) => Promise<void>;
  /** Keeps a 3-D Secure challenge until the customer passes or fails it at `challengeUrl`. */
  holdChallenge?: (challenge: SimulatedChallenge) => Promise<void>;
  /** The challenge page of a payment (the `nextAction` URL). */
  challengeUrl?: (providerPaymentId: string) => string;
  /** Where the challenge page sends the customer afterwards (the `nextAction` return URL). */
  returnUrl?: (orderId: string) => string;
}): PaymentProvider {
  const requestsByKey = new Map<string, string>();

  /** Stripe's 400 idempotency_error for a key first used with other parameters. */
  function claimKey(idempotencyKey: string, parameters: readonly unknown[]): void {
    const fingerprint = JSON.stringify(parameters);
    const known = requestsByKey.get(idempotencyKey);
    if (known !== undefined && known !== fingerprint) {
      throw new PaymentProviderError(
        'The simulated provider rejected an idempotency key reused with different parameters.',
        { providerStatus: 400, providerCode: 'idempotency_error' },
      );
    }
    if (known === undefined) {
      if (requestsByKey.size >= REMEMBERED_KEYS) {
        const oldest = requestsByKey.keys().next();
        if (!oldest.done) requestsByKey.delete(oldest.value);
      }
      requestsByKey.set(idempotencyKey, fingerprint);
    }
  }

  return {
    name: 'simulated',

    async charge(request) {
      checkMoney(request.amount, request.currency);
      claimKey(request.idempotencyKey, [
        'charge',
        request.orderId,
        request.amount,
        request.currency,
        request.paymentMethod,
        request.attempt,
      ]);
      const providerPaymentId = paymentIdFor(request.idempotencyKey);
      const outcome = outcomeOf(request.paymentMethod);
      if (outcome.status === 'requires_action') {
        if (!options.holdChallenge || !options.challengeUrl || !options.returnUrl) {
          throw new PaymentProviderError('The simulated provider has no challenge page configured.');
        }
        const returnUrl = options.returnUrl(request.orderId);
        await options.holdChallenge({ ...request, providerPaymentId, returnUrl });
        return {
          providerPaymentId,
          status: 'requires_action',
          action: {
            clientSecret: `${providerPaymentId}_secret_${digest(`secret:${request.idempotencyKey}`)}`,
            nextAction: {
              type: 'redirect_to_url',
              redirectToUrl: { url: options.challengeUrl(providerPaymentId), returnUrl },
            },
          },
        };
      }
      if (outcome.status === 'pending') {
        await options.settleLater?.(
          providerPaymentId,
          simulatedPendingCompletion({ ...request, providerPaymentId }),
        );
      } else {
        const type =
          outcome.status === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
        await options.deliver(
          stripeEventBody({
            id: eventIdFor(providerPaymentId, type),
            type,
            orderId: request.orderId,
            attempt: request.attempt,
            providerPaymentId,
            amount: request.amount,
            currency: request.currency,
            ...(outcome.failureReason ? { failureCode: outcome.failureReason } : {}),
          }),
        );
      }
      const result: ChargeResult = { providerPaymentId, status: outcome.status };
      return outcome.failureReason ? { ...result, failureReason: outcome.failureReason } : result;
    },

    async refund(request: RefundRequest) {
      checkMoney(request.amount, request.currency);
      if (!request.providerPaymentId.startsWith(PAYMENT_ID_PREFIX)) {
        // What Stripe answers for a payment intent it does not know.
        throw new PaymentProviderError('The simulated provider knows no payment with this id.', {
          providerStatus: 400,
          providerCode: 'resource_missing',
        });
      }
      claimKey(request.idempotencyKey, [
        'refund',
        request.providerPaymentId,
        request.amount,
        request.currency,
      ]);
      const providerRefundId = refundIdFor(request.idempotencyKey);
      await options.deliver(
        stripeEventBody({
          id: eventIdFor(providerRefundId, 'charge.refunded'),
          type: 'charge.refunded',
          orderId: request.orderId,
          providerPaymentId: request.providerPaymentId,
          amount: request.amount,
          currency: request.currency,
        }),
      );
      return { providerRefundId, status: 'succeeded' };
    },

    /**
     * Answers what the charge of the attempt is (or would be: the simulator keeps no state, and
     * its charges are pure functions of the request, so a charge re-sent with the key is this one).
     */
    async findPayment(lookup) {
      const outcome = outcomeOf(lookup.paymentMethod);
      return {
        providerPaymentId: lookup.providerPaymentId ?? paymentIdFor(lookup.idempotencyKey),
        status: outcome.status,
        ...(outcome.failureReason ? { failureReason: outcome.failureReason } : {}),
        amount: lookup.amount,
        currency: lookup.currency,
      };
    },
  };
}

/** The outcome of a charge with a test payment method (unknown methods fail, as in Stripe). */
function outcomeOf(paymentMethod: string): Outcome {
  return Object.hasOwn(OUTCOMES, paymentMethod)
    ? (OUTCOMES[paymentMethod] ?? UNKNOWN_METHOD)
    : UNKNOWN_METHOD;
}

/** A 3-D Secure charge waiting at the simulated challenge page: what its outcome event needs. */
export interface SimulatedChallenge {
  readonly providerPaymentId: string;
  readonly orderId: string;
  readonly attempt: number;
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly returnUrl: string;
}

/**
 * The event Stripe would send once the customer answered a 3-D Secure challenge: passed, the
 * method's outcome after authentication (`payment_intent.succeeded`, or `.payment_failed` for a
 * card declined after authenticating); failed, `.payment_failed` with Stripe's
 * `payment_intent_authentication_failure`. Event ids derive from the payment and type, as for
 * every simulated event, so a redelivery is recognisably one.
 */
export function simulatedChallengeOutcome(challenge: SimulatedChallenge, passed: boolean): string {
  const after = outcomeOf(challenge.paymentMethod).authenticated;
  const succeeded = passed && after?.status === 'succeeded';
  const type = succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
  const failureCode = succeeded
    ? undefined
    : passed
      ? (after?.failureReason ?? 'card_declined')
      : AUTHENTICATION_FAILURE;
  return stripeEventBody({
    id: eventIdFor(challenge.providerPaymentId, type),
    type,
    orderId: challenge.orderId,
    attempt: challenge.attempt,
    providerPaymentId: challenge.providerPaymentId,
    amount: challenge.amount,
    currency: challenge.currency,
    ...(failureCode ? { failureCode } : {}),
  });
}

/**
 * The `payment_intent.succeeded` event body that settles a `pm_card_pending` charge, for a
 * scheduler to sign and deliver later. Its event id is the one an immediate success would
 * have had, so delivering it twice is recognisably one event.
 */
export function simulatedPendingCompletion(request: ChargeRequest & { providerPaymentId: string }): string {
  return stripeEventBody({
    id: eventIdFor(request.providerPaymentId, 'payment_intent.succeeded'),
    type: 'payment_intent.succeeded',
    orderId: request.orderId,
    attempt: request.attempt,
    providerPaymentId: request.providerPaymentId,
    amount: request.amount,
    currency: request.currency,
  });
}

/** Stripe rejects these with a 400; so does the simulator, so local runs catch the bug too. */
function checkMoney(amount: number, currency: string): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new PaymentProviderError('The amount must be a positive integer in minor units.', {
      providerStatus: 400,
      providerCode: 'parameter_invalid_integer',
    });
  }
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new PaymentProviderError('The currency must be an upper-case ISO 4217 code.', {
      providerStatus: 400,
      providerCode: 'invalid_currency',
    });
  }
}
