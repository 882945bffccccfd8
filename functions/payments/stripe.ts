import type { NextAction } from '../orders/model.ts';
import type {
  ChargeResult,
  CustomerAction,
  FoundPayment,
  PaymentProvider,
  RefundResult,
} from './provider.ts';
import { PaymentProviderError } from './provider.ts';
import { STRIPE_API_VERSION } from './webhook.ts';

/**
 * All attempts of one call share this budget, so a charge answers within the functions' 10 s
 * Lambda timeout even when Stripe hangs (an outcome left unknown is settled by the webhook, or
 * by the client retrying with the same key).
 */
const CALL_BUDGET_MS = 8_000;
/** Not worth starting an attempt with less time left than this. */
const MIN_ATTEMPT_MS = 1_000;
const MAX_RETRIES = 2;
const RETRY_DELAYS_MS = [250, 750];

const PENDING_INTENT_STATUSES = new Set(['processing', 'requires_confirmation']);
const FAILED_INTENT_STATUSES = new Set(['requires_payment_method', 'canceled']);
const REFUND_STATUSES: Readonly<Record<string, RefundResult['status']>> = {
  succeeded: 'succeeded',
  pending: 'pending',
  requires_action: 'pending',
  failed: 'failed',
  canceled: 'failed',
};

interface StripeAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly requestId: string | undefined;
}

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A payment provider over Stripe's PaymentIntents API. Each call carries the caller's
 * idempotency key as `Idempotency-Key`; network errors, timeouts, 409 (a concurrent request
 * with the key), 429 and 5xx are retried up to twice with that SAME key, which is what makes
 * retrying safe: Stripe answers a repeated key with the first request's result, never a
 * second charge. A decline (402 card error) is a `failed` charge; any other 4xx is our bug and
 * a {@link PaymentProviderError} whose message never contains the key or Stripe's own text.
 */
export function stripeProvider(options: {
  apiKey: () => Promise<string>;
  /**
   * Where Stripe sends the customer back after a 3-D Secure challenge (its `return_url`; Stripe
   * adds `payment_intent` and `payment_intent_client_secret` to it).
   */
  returnUrl: (orderId: string) => string;
  baseUrl?: string;
  fetchImpl?: typeof fetch;
}): PaymentProvider {
  const baseUrl = (options.baseUrl ?? 'https://api.stripe.com').replace(/\/+$/, '');
  const fetchImpl = options.fetchImpl ?? fetch;

  /**
   * One call to Stripe with its retries: a POST (form body, `Idempotency-Key`) or a GET (query
   * string; reads are safe to repeat as they are).
   */
  async function send(
    method: 'GET' | 'POST',
    path: string,
    form: Record<string, string>,
    idempotencyKey?: string,
  ): Promise<StripeAnswer> {
    const key = await options.apiKey();
    const encoded = new URLSearchParams(form).toString();
    const url = method === 'GET' && encoded ? `${baseUrl}${path}?${encoded}` : `${baseUrl}${path}`;
    const deadline = Date.now() + CALL_BUDGET_MS;
    let failure: PaymentProviderError | undefined;
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      if (attempt > 0) await sleep(RETRY_DELAYS_MS[attempt - 1] ?? 1_000);
      const remaining = deadline - Date.now();
      if (remaining < MIN_ATTEMPT_MS) break;
      let response: Response;
      let raw: string;
      try {
        response = await fetchImpl(url, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            'stripe-version': STRIPE_API_VERSION,
            ...(method === 'POST'
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'idempotency-key': idempotencyKey ?? '',
                }
              : {}),
          },
          ...(method === 'POST' ? { body: encoded } : {}),
          signal: AbortSignal.timeout(remaining),
        });
        raw = await response.text();
      } catch (error) {
        // The request may or may not have reached Stripe: only the same key makes a retry safe.
        failure = new PaymentProviderError(`Stripe ${path} could not be reached (${describe(error)}).`, {
          cause: error,
        });
        continue;
      }
      const answer: StripeAnswer = {
        status: response.status,
        body: parseJson(raw),
        requestId: response.headers.get('request-id') ?? undefined,
      };
      if (!shouldRetry(response)) return answer;
      failure = rejected(path, answer);
    }
    throw failure ?? new PaymentProviderError(`Stripe ${path} did not answer in time.`);
  }

  return {
    name: 'stripe',

    async charge(request) {
      const answer = await send(
        'POST',
        '/v1/payment_intents',
        {
          amount: String(request.amount),
          currency: request.currency.toLowerCase(),
          payment_method: request.paymentMethod,
          confirm: 'true',
          // Confirmed server-side with a return URL: a card that needs 3-D Secure answers
          // `requires_action` with a `redirect_to_url` next action (Stripe requires the return
          // URL once redirects are allowed, and without redirects 3-D Secure needs Stripe.js).
          'automatic_payment_methods[enabled]': 'true',
          return_url: options.returnUrl(request.orderId),
          'metadata[orderId]': request.orderId,
          'metadata[attempt]': String(request.attempt),
        },
        request.idempotencyKey,
      );
      return chargeResult(answer);
    },

    async refund(request) {
      const answer = await send(
        'POST',
        '/v1/refunds',
        {
          payment_intent: request.providerPaymentId,
          amount: String(request.amount),
          'metadata[orderId]': request.orderId,
        },
        request.idempotencyKey,
      );
      const body = answer.body;
      if (answer.status === 200 && isJson(body) && text(body.id) && text(body.status)) {
        const status = REFUND_STATUSES[String(body.status)];
        if (status) return { providerRefundId: String(body.id), status };
      }
      throw answer.status === 200 ? malformed('/v1/refunds', answer) : rejected('/v1/refunds', answer);
    },

    async findPayment(lookup) {
      if (lookup.providerPaymentId) {
        const path = `/v1/payment_intents/${encodeURIComponent(lookup.providerPaymentId)}`;
        const answer = await send('GET', path, {});
        if (answer.status === 404) return undefined;
        if (answer.status !== 200) throw rejected(path, answer);
        return foundPayment(path, answer, answer.body);
      }
      // Search reads an index Stripe updates within about a minute of a change: reconciliation
      // asks only about attempts older than that.
      const path = '/v1/payment_intents/search';
      const answer = await send('GET', path, {
        query: `metadata['orderId']:'${lookup.orderId}' AND metadata['attempt']:'${lookup.attempt}'`,
        limit: '10',
      });
      if (answer.status !== 200) throw rejected(path, answer);
      const results = isJson(answer.body) && Array.isArray(answer.body.data) ? answer.body.data : undefined;
      if (!results) throw malformed(path, answer);
      // One charge per attempt key: more than one intent for an attempt would be a bug of ours.
      if (results.length > 1) {
        throw new PaymentProviderError(`Stripe has ${results.length} payment intents for one attempt.`);
      }
      return results.length === 0 ? undefined : foundPayment(path, answer, results[0]);
    },
  };
}

/** A payment intent as a found payment (status mapped as a charge's answer is). */
function foundPayment(path: string, answer: StripeAnswer, intent: unknown): FoundPayment {
  if (!isJson(intent) || !text(intent.id) || !text(intent.status)) throw malformed(path, answer);
  const result = chargeResult({ ...answer, status: 200, body: intent });
  const amount = typeof intent.amount === 'number' ? intent.amount : undefined;
  const currency = text(intent.currency)?.toUpperCase();
  return {
    ...result,
    ...(amount !== undefined ? { amount } : {}),
    ...(currency ? { currency } : {}),
  };
}

/** Maps Stripe's answer to a payment intent creation onto a charge outcome. */
function chargeResult(answer: StripeAnswer): ChargeResult {
  const path = '/v1/payment_intents';
  const body = answer.body;
  if (answer.status === 200) {
    if (!isJson(body) || !text(body.id) || !text(body.status)) throw malformed(path, answer);
    const providerPaymentId = String(body.id);
    const status = String(body.status);
    if (status === 'succeeded') return { providerPaymentId, status: 'succeeded' };
    if (PENDING_INTENT_STATUSES.has(status)) return { providerPaymentId, status: 'pending' };
    if (status === 'requires_action') {
      const action = customerAction(body);
      if (!action) throw malformed(path, answer);
      return { providerPaymentId, status: 'requires_action', action };
    }
    if (FAILED_INTENT_STATUSES.has(status)) {
      const error = isJson(body.last_payment_error) ? body.last_payment_error : {};
      return failed(providerPaymentId, text(error.decline_code) ?? text(error.code) ?? status);
    }
    // requires_capture and anything newer: not something our requests can lead to.
    throw malformed(path, answer);
  }
  // A decline: the payment intent exists (and stays open) and the card said no.
  const error = isJson(body) && isJson(body.error) ? body.error : undefined;
  const intent = error && isJson(error.payment_intent) ? error.payment_intent : undefined;
  if (answer.status === 402 && error?.type === 'card_error' && intent && text(intent.id)) {
    return failed(String(intent.id), text(error.decline_code) ?? text(error.code) ?? 'card_declined');
  }
  throw rejected(path, answer);
}

/**
 * What a `requires_action` intent asks of the customer: its client secret, and its
 * `redirect_to_url` next action camel-cased (absent for another kind, e.g. `use_stripe_sdk`:
 * the client secret is then all the app needs). Undefined without a client secret.
 */
function customerAction(intent: Json): CustomerAction | undefined {
  const clientSecret = text(intent.client_secret);
  if (!clientSecret) return undefined;
  const next = isJson(intent.next_action) ? intent.next_action : {};
  const redirect = isJson(next.redirect_to_url) ? next.redirect_to_url : {};
  const url = text(redirect.url);
  const returnUrl = text(redirect.return_url);
  const nextAction: NextAction | undefined =
    next.type === 'redirect_to_url' && url && returnUrl
      ? { type: 'redirect_to_url', redirectToUrl: { url, returnUrl } }
      : undefined;
  return { clientSecret, ...(nextAction ? { nextAction } : {}) };
}

const failed = (providerPaymentId: string, failureReason: string): ChargeResult => ({
  providerPaymentId,
  status: 'failed',
  failureReason,
});

/**
 * Whether Stripe asks for (or the status calls for) another attempt with the same key: 409 is
 * another request with this key still in flight, 429 a rate limit, 5xx Stripe's fault.
 */
function shouldRetry(response: Response): boolean {
  const hint = response.headers.get('stripe-should-retry');
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  return response.status === 409 || response.status === 429 || response.status >= 500;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * Stripe refused or failed the request. The message names the status, Stripe's error type and
 * code and its request id (for Stripe support), but never Stripe's message: a 401's message
 * quotes the API key it was given.
 */
function rejected(path: string, answer: StripeAnswer): PaymentProviderError {
  const error = isJson(answer.body) && isJson(answer.body.error) ? answer.body.error : {};
  const type = text(error.type);
  const code = text(error.code);
  const param = text(error.param);
  const details = [type, code, param ? `param ${param}` : undefined, answer.requestId].filter(Boolean);
  return new PaymentProviderError(
    `Stripe ${path} answered HTTP ${answer.status}${details.length ? ` (${details.join(', ')})` : ''}.`,
    {
      providerStatus: answer.status,
      ...(code ? { providerCode: code } : type ? { providerCode: type } : {}),
    },
  );
}

function malformed(path: string, answer: StripeAnswer): PaymentProviderError {
  return new PaymentProviderError(
    `Stripe ${path} answered HTTP ${answer.status} with a body we do not understand${answer.requestId ? ` (${answer.requestId})` : ''}.`,
    { providerStatus: answer.status },
  );
}

/** A network error's name and code (never the request, which carries the key in a header). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return [error.name, code ?? cause?.message ?? error.message].filter(Boolean).join(': ');
}
