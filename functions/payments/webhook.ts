import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { badRequest } from '../core/errors.ts';
import { parseInput } from '../core/validation.ts';

/** What a provider event means for an order; `ignored` for every type we do not act on. */
export type PaymentEventType = 'payment.succeeded' | 'payment.failed' | 'payment.refunded' | 'ignored';

export interface PaymentEvent {
  /** The provider's event id (`evt_...`): the same event redelivered has the same id. */
  readonly id: string;
  readonly type: PaymentEventType;
  /** The provider's own type, e.g. `payment_intent.succeeded`. */
  readonly providerType: string;
  /** From the payment's `metadata.orderId`; absent for payments we did not create. */
  readonly orderId?: string;
  /** From `metadata.attempt`: which of the order's payment attempts the payment belongs to. */
  readonly attempt?: number;
  readonly providerPaymentId?: string;
  /**
   * Minor units: the payment's amount (succeeded, failed) or the amount refunded so far
   * (refunded), with its ISO 4217 currency in upper case.
   */
  readonly amount?: number;
  readonly currency?: string;
  readonly failureReason?: string;
  /** When the provider created the event, epoch seconds. */
  readonly created: number;
}

/**
 * The Stripe API version we speak (sent as `Stripe-Version`, and the shape of our event bodies).
 * Create the Stripe webhook endpoint with this version so events arrive in this shape.
 */
export const STRIPE_API_VERSION = '2024-06-20';

/** How far a signature timestamp may lie in the future (clock skew), in seconds. */
const MAX_FUTURE_SKEW_SECONDS = 300;
/** Real headers are ~150 characters; anything huge is not worth parsing. */
const MAX_SIGNATURE_HEADER_LENGTH = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

const nowInSeconds = () => Math.floor(Date.now() / 1000);

const hmacSha256 = (secret: string, timestamp: string, rawBody: Buffer): Buffer =>
  createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();

/**
 * Verifies a `Stripe-Signature` header (`t=<unix>,v1=<hex>[,v1=...]`): HMAC-SHA256 of
 * `<t>.<raw body>` keyed with the endpoint secret, compared in constant time; any `v1` may match
 * (Stripe sends several while a secret is being rolled). The timestamp must be no older than
 * `toleranceSeconds` (default 300) and no more than 300 s in the future, which bounds replays.
 * Works on the exact bytes received: decode a base64-encoded API Gateway body first, never
 * re-serialize JSON. Never throws: anything malformed is simply `false`.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
  nowSeconds: number = nowInSeconds(),
  toleranceSeconds = 300,
): boolean {
  try {
    if (typeof header !== 'string' || header.length > MAX_SIGNATURE_HEADER_LENGTH) return false;
    if (!Buffer.isBuffer(rawBody) || typeof secret !== 'string' || secret === '') return false;
    let timestamp: string | undefined;
    const candidates: Buffer[] = [];
    for (const item of header.split(',')) {
      const separator = item.indexOf('=');
      if (separator < 0) continue;
      const key = item.slice(0, separator).trim();
      const value = item.slice(separator + 1).trim();
      if (key === 't') {
        // Two timestamps make the header ambiguous: which one did the signer mean?
        if (timestamp !== undefined || !UNIX_SECONDS.test(value)) return false;
        timestamp = value;
      } else if (key === 'v1' && SHA256_HEX.test(value)) {
        candidates.push(Buffer.from(value, 'hex'));
      }
      // Other schemes (v0 is Stripe's test-only scheme) are ignored, as Stripe's libraries do.
    }
    if (timestamp === undefined || candidates.length === 0) return false;
    const signedAt = Number(timestamp);
    if (nowSeconds - signedAt > toleranceSeconds) return false;
    if (signedAt - nowSeconds > MAX_FUTURE_SKEW_SECONDS) return false;
    const expected = hmacSha256(secret, timestamp, rawBody);
    let matched = false;
    // Compare against every candidate (no early exit): the time taken reveals nothing about which.
    for (const candidate of candidates) matched = timingSafeEqual(candidate, expected) || matched;
    return matched;
  } catch {
    return false;
  }
}

/** Builds a `Stripe-Signature` header value for a body (the simulated provider and tests). */
export function signStripePayload(
  rawBody: string | Buffer,
  secret: string,
  timestampSeconds: number = nowInSeconds(),
): string {
  const timestamp = String(Math.floor(timestampSeconds));
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `t=${timestamp},v1=${hmacSha256(secret, timestamp, body).toString('hex')}`;
}

// Only the fields we read; Stripe objects carry many more, which are stripped.
const providerId = z.string().check(z.minLength(1), z.maxLength(255));
const metadata = z.optional(
  z.nullable(z.object({ orderId: z.optional(z.string()), attempt: z.optional(z.string()) })),
);
const amount = z.optional(z.int().check(z.minimum(0)));
const currency = z.optional(z.string().check(z.regex(/^[a-zA-Z]{3}$/)));
const envelope = z.object({
  id: providerId,
  type: z.string().check(z.minLength(1), z.maxLength(255)),
  created: z.int().check(z.minimum(0)),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

/**
 * What `POST /webhooks/payments` takes, for the document: a Stripe event (any other fields are
 * ignored); the handler verifies the signature over the exact bytes before it parses them.
 */
export const stripeEventSchema = envelope.check(
  z.describe(
    `A Stripe event (API version ${STRIPE_API_VERSION}): payment_intent.succeeded, payment_intent.payment_failed and charge.refunded act on the order named in the payment's metadata; other types are ignored.`,
  ),
);

/** The header the webhook reads: the provider's signature of the exact body. */
export const stripeSignatureHeaders = z.object({
  'stripe-signature': z.string().check(z.minLength(1), z.maxLength(MAX_SIGNATURE_HEADER_LENGTH)),
});
const withObject = <S extends z.ZodMiniType>(object: S) => z.object({ data: z.object({ object }) });
const paymentIntentEvent = withObject(
  z.object({
    id: providerId,
    metadata,
    amount,
    currency,
    last_payment_error: z.optional(
      z.nullable(
        z.object({
          code: z.optional(z.nullable(z.string())),
          decline_code: z.optional(z.nullable(z.string())),
        }),
      ),
    ),
  }),
);
const chargeEvent = withObject(
  z.object({
    id: providerId,
    // Null for a charge made without a payment intent: not one of ours.
    payment_intent: z.optional(z.nullable(providerId)),
    metadata,
    amount_refunded: amount,
    currency,
  }),
);

/** The attempt number a payment's metadata names, if it names a sane one. */
const attemptOf = (meta: { attempt?: string | undefined } | null | undefined) =>
  meta?.attempt && /^[1-9]\d{0,5}$/.test(meta.attempt) ? { attempt: Number(meta.attempt) } : {};

/**
 * Amount and currency, each as far as the provider object carries it: a success missing either
 * is then not applied (service.ts), where dropping both would have hidden that anything was missing.
 */
const moneyOf = (value: number | undefined, code: string | undefined) => ({
  ...(value !== undefined ? { amount: value } : {}),
  ...(code ? { currency: code.toUpperCase() } : {}),
});

/** `{ [key]: value }` for a non-empty value, else nothing (keeps absent fields absent, not `undefined`). */
const optional = <K extends string>(key: K, value: string | null | undefined) =>
  (value ? { [key]: value } : {}) as { [P in K]?: string };

const PROVIDER_TYPES: Readonly<Record<string, PaymentEventType>> = {
  'payment_intent.succeeded': 'payment.succeeded',
  'payment_intent.payment_failed': 'payment.failed',
  'charge.refunded': 'payment.refunded',
};

/**
 * Parses a verified Stripe event: `payment_intent.succeeded` -> `payment.succeeded`,
 * `payment_intent.payment_failed` -> `payment.failed` (reason: the last error's decline code,
 * else its code), `charge.refunded` -> `payment.refunded` (the charge's payment intent and
 * metadata), anything else -> `ignored`. Malformed JSON or an event of an unexpected shape
 * throws a 400 naming the bad fields.
 */
export function parseStripeEvent(rawBody: Buffer): PaymentEvent {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw badRequest('The event is not valid JSON.');
  }
  const event = parseInput(envelope, json, 'body');
  const base = { id: event.id, providerType: event.type, created: event.created };
  const type = Object.hasOwn(PROVIDER_TYPES, event.type) ? PROVIDER_TYPES[event.type] : undefined;
  if (type === undefined || type === 'ignored') return { ...base, type: 'ignored' };
  if (type === 'payment.refunded') {
    const charge = parseInput(chargeEvent, json, 'body').data.object;
    return {
      ...base,
      type,
      ...optional('orderId', charge.metadata?.orderId),
      ...attemptOf(charge.metadata),
      ...optional('providerPaymentId', charge.payment_intent),
      ...moneyOf(charge.amount_refunded, charge.currency),
    };
  }
  const intent = parseInput(paymentIntentEvent, json, 'body').data.object;
  const failure = intent.last_payment_error;
  return {
    ...base,
    type,
    providerPaymentId: intent.id,
    ...optional('orderId', intent.metadata?.orderId),
    ...attemptOf(intent.metadata),
    ...moneyOf(intent.amount, intent.currency),
    // Stripe puts the specific reason (insufficient_funds) in decline_code, the general one in code.
    ...(type === 'payment.failed'
      ? { failureReason: failure?.decline_code || failure?.code || 'payment_failed' }
      : {}),
  };
}

const PAYMENT_INTENT_STATUS: Readonly<Record<string, string>> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'requires_payment_method',
  'payment_intent.processing': 'processing',
  'payment_intent.canceled': 'canceled',
};

/**
 * A Stripe-shaped event body (used by the simulated provider and tests). `charge.refunded`
 * carries a charge (id derived from the payment intent's); every other type a payment intent,
 * with `last_payment_error.code` = `failureCode` when one is given.
 */
export function stripeEventBody(input: {
  id: string;
  type: string;
  orderId: string;
  /** The order's payment attempt, as our charges put it in the metadata. */
  attempt?: number;
  providerPaymentId: string;
  amount: number;
  currency: string;
  failureCode?: string;
  created?: number;
}): string {
  const currency = input.currency.toLowerCase();
  const metadata = {
    orderId: input.orderId,
    ...(input.attempt !== undefined ? { attempt: String(input.attempt) } : {}),
  };
  const object =
    input.type === 'charge.refunded'
      ? {
          id: `ch_${input.providerPaymentId.replace(/^pi_/, '')}`,
          object: 'charge',
          amount: input.amount,
          amount_refunded: input.amount,
          currency,
          payment_intent: input.providerPaymentId,
          refunded: true,
          status: 'succeeded',
          metadata,
        }
      : {
          id: input.providerPaymentId,
          object: 'payment_intent',
          amount: input.amount,
          currency,
          status: PAYMENT_INTENT_STATUS[input.type] ?? 'processing',
          last_payment_error: input.failureCode
            ? { type: 'card_error', code: input.failureCode, message: 'The payment failed.' }
            : null,
          metadata,
        };
  return JSON.stringify({
    id: input.id,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: input.created ?? nowInSeconds(),
    livemode: false,
    pending_webhooks: 1,
    type: input.type,
    data: { object },
  });
}
