import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The key the fake accepts, like a test-mode secret key. */
export const FAKE_STRIPE_KEY = 'sk_test_fake';

export interface FakeStripeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly form: Record<string, string>;
}

/** One object the fake created: what "was charged" and "was refunded", whatever the retries. */
export interface FakeStripeLedgerEntry {
  readonly object: 'payment_intent' | 'refund';
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: string;
  readonly idempotencyKey: string | undefined;
  readonly paymentIntent?: string;
}

export interface FakeStripe {
  readonly url: string;
  /** Every request received, in order, including those answered with an injected failure. */
  readonly requests: ReadonlyArray<FakeStripeRequest>;
  readonly ledger: ReadonlyArray<FakeStripeLedgerEntry>;
  /** The next `times` (default 1) requests answer `status` without doing anything. */
  failNext(status: number, times?: number): void;
  /**
   * What Stripe does when it fails mid-request: the next POST runs (with `execute`, it creates
   * what it would have) and answers `status` (500 by default), and that answer is saved for its
   * idempotency key, so every retry with the key gets the same error back, for good.
   */
  failNextAndCache(options?: { status?: number; execute?: boolean }): void;
  /**
   * What a network or a broken proxy does to the next `times` (default 1) requests: `html-502` is
   * a load balancer's HTML error page (nothing reaches Stripe); `garbage` runs the request and
   * answers 200 with a truncated JSON body; `reset` runs it and resets the connection without an
   * answer; `hang` runs it and never answers (the client's timeout decides).
   */
  misbehaveNext(kind: Misbehaviour, times?: number): void;
  /**
   * Moves a payment intent to another status at "Stripe" (a pending payment settling, a 3-D
   * Secure challenge answered) without an event; `fields` replace fields of the intent as Stripe
   * returns it (`undefined` removes one).
   */
  settleIntent(
    id: string,
    status: 'succeeded' | 'requires_payment_method',
    fields?: Readonly<Record<string, unknown>>,
  ): void;
  stop(): Promise<void>;
}

export type Misbehaviour = 'html-502' | 'garbage' | 'reset' | 'hang';

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

type Form = Record<string, string>;

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const stripeError = (status: number, error: Record<string, unknown>): Answer => ({ status, body: { error } });
const invalidRequest = (message: string, extra: Record<string, unknown> = {}): Answer =>
  stripeError(400, { type: 'invalid_request_error', message, ...extra });
const missing = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });

/**
 * A local HTTP server that answers the two Stripe API calls the stripe provider makes
 * (`POST /v1/payment_intents`, `POST /v1/refunds`) the way Stripe's test mode does: Bearer key
 * check, form bodies, idempotency keys (same key and parameters replay the stored answer with
 * `Idempotent-Replayed: true`; other parameters are a 400 idempotency_error), answers chosen by
 * test payment method, and a ledger of what was really created.
 */
export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: FakeStripeRequest[] = [];
  const ledger: FakeStripeLedgerEntry[] = [];
  const intents = new Map<
    string,
    { amount: number; currency: string; status: string; refunded: number; body: Record<string, unknown> }
  >();
  let cachedFailure: { status: number; execute: boolean } | undefined;
  const idempotent = new Map<string, { path: string; fingerprint: string; answer: Answer }>();
  let failures: { status: number; remaining: number } | undefined;
  let misbehaviour: { kind: Misbehaviour; remaining: number } | undefined;

  function createPaymentIntent(form: Form, idempotencyKey: string | undefined): Answer {
    for (const param of ['amount', 'currency', 'payment_method']) if (!form[param]) return missing(param);
    const amount = Number(form.amount);
    if (!/^\d+$/.test(String(form.amount)) || amount < 1) {
      return invalidRequest('Invalid positive integer', {
        code: 'parameter_invalid_integer',
        param: 'amount',
      });
    }
    const currency = String(form.currency);
    if (!/^[a-z]{3}$/.test(currency)) {
      return invalidRequest(`Invalid currency: ${currency}.`, {
        code: 'invalid_currency',
        param: 'currency',
      });
    }
    if (form.confirm !== 'true')
      return invalidRequest('This fake only handles confirm=true.', { param: 'confirm' });
    // Stripe's rule for server-side confirmation with automatic payment methods and no return_url.
    if (
      form['automatic_payment_methods[enabled]'] === 'true' &&
      form['automatic_payment_methods[allow_redirects]'] !== 'never' &&
      !form.return_url
    ) {
      return invalidRequest('A return_url is required to confirm with payment methods that may redirect.', {
        param: 'return_url',
      });
    }
    const paymentMethod = String(form.payment_method);
    const id = newId('pi');
    const clientSecret = `${id}_secret_${randomBytes(12).toString('hex')}`;
    const intent = (status: string, extra: Record<string, unknown> = {}) => ({
      id,
      object: 'payment_intent',
      amount,
      currency,
      status,
      client_secret: clientSecret,
      payment_method: paymentMethod,
      metadata: metadataOf(form),
      last_payment_error: null,
      next_action: null,
      ...extra,
    });
    /**
     * What Stripe answers a card that needs 3-D Secure: `requires_action`, and with a return URL
     * a `redirect_to_url` next action to the issuer's (here: a made-up) challenge page; without
     * one, `use_stripe_sdk` (only Stripe.js or a mobile SDK can go on).
     */
    const challenge = () => {
      const nextAction = form.return_url
        ? {
            type: 'redirect_to_url',
            redirect_to_url: {
              url: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${id}`,
              return_url: form.return_url,
            },
          }
        : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } };
      record('requires_action', { next_action: nextAction });
      return { status: 200, body: intent('requires_action', { next_action: nextAction }) };
    };
    const record = (status: string, extra: Record<string, unknown> = {}) => {
      intents.set(id, { amount, currency, status, refunded: 0, body: intent(status, extra) });
      ledger.push({ object: 'payment_intent', id, amount, currency, status, idempotencyKey });
    };
    const decline = (declineCode: string) => {
      const lastPaymentError = { type: 'card_error', code: 'card_declined', decline_code: declineCode };
      record('requires_payment_method', { last_payment_error: lastPaymentError });
      return stripeError(402, {
        ...lastPaymentError,
        message: 'Your card was declined.',
        payment_intent: intent('requires_payment_method', { last_payment_error: lastPaymentError }),
      });
    };
    switch (paymentMethod) {
      case 'pm_card_visa':
      case 'pm_card_mastercard':
        record('succeeded');
        return { status: 200, body: intent('succeeded') };
      case 'pm_card_chargeDeclined':
        return decline('generic_decline');
      case 'pm_card_chargeDeclinedInsufficientFunds':
        return decline('insufficient_funds');
      case 'pm_card_pending':
        record('processing');
        return { status: 200, body: intent('processing') };
      case 'pm_card_authenticationRequired':
      case 'pm_card_threeDSecure2Required':
      case 'pm_card_threeDSecureRequiredChargeDeclined':
        return challenge();
      default:
        return invalidRequest(`No such PaymentMethod: '${paymentMethod}'`, {
          code: 'resource_missing',
          param: 'payment_method',
        });
    }
  }

  function createRefund(form: Form, idempotencyKey: string | undefined): Answer {
    if (!form.payment_intent) return missing('payment_intent');
    const intent = intents.get(form.payment_intent);
    if (!intent) {
      return invalidRequest(`No such payment_intent: '${form.payment_intent}'`, {
        code: 'resource_missing',
        param: 'payment_intent',
      });
    }
    if (intent.status !== 'succeeded') {
      return invalidRequest('This PaymentIntent does not have a successful charge to refund.', {
        code: 'charge_not_refundable',
      });
    }
    const refundable = intent.amount - intent.refunded;
    if (refundable === 0) {
      return invalidRequest('Charge has already been refunded.', { code: 'charge_already_refunded' });
    }
    const amount = form.amount === undefined ? refundable : Number(form.amount);
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > refundable) {
      return invalidRequest('Refund amount is greater than the unrefunded amount.', {
        code: 'amount_too_large',
        param: 'amount',
      });
    }
    intent.refunded += amount;
    const id = newId('re');
    ledger.push({
      object: 'refund',
      id,
      amount,
      currency: intent.currency,
      status: 'succeeded',
      idempotencyKey,
      paymentIntent: form.payment_intent,
    });
    return {
      status: 200,
      body: {
        id,
        object: 'refund',
        amount,
        currency: intent.currency,
        payment_intent: form.payment_intent,
        status: 'succeeded',
        metadata: metadataOf(form),
      },
    };
  }

  /** GET /v1/payment_intents/{id} and GET /v1/payment_intents/search (metadata equality only). */
  function read(path: string, query: URLSearchParams): Answer {
    if (path === '/v1/payment_intents/search') {
      const clauses = [...(query.get('query') ?? '').matchAll(/metadata\['([^']+)'\]:'([^']*)'/g)];
      if (clauses.length === 0) return invalidRequest('Invalid search query.', { param: 'query' });
      const data = [...intents.values()]
        .map((entry) => entry.body)
        .filter((body) =>
          clauses.every(([, key = '', value]) => (body.metadata as Record<string, string>)[key] === value),
        );
      return { status: 200, body: { object: 'search_result', data, has_more: false, next_page: null } };
    }
    const match = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    const found = match?.[1] ? intents.get(decodeURIComponent(match[1])) : undefined;
    if (found) return { status: 200, body: found.body };
    return stripeError(404, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `No such payment_intent: '${match?.[1] ?? path}'`,
    });
  }

  function handle(
    method: string,
    path: string,
    headers: Record<string, string>,
    form: Form,
    query: URLSearchParams,
  ): Answer & { replayed?: boolean } {
    if (failures && failures.remaining > 0) {
      failures.remaining--;
      return stripeError(failures.status, { type: 'api_error', message: 'Injected failure.' });
    }
    const authorization = headers.authorization ?? '';
    if (authorization !== `Bearer ${FAKE_STRIPE_KEY}`) {
      // Real Stripe masks most of the key; the fake quotes it whole so a leak would show in tests.
      return stripeError(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${authorization.replace(/^Bearer /, '')}`,
      });
    }
    if (method === 'GET') return read(path, query);
    const route = method === 'POST' ? path : undefined;
    if (route !== '/v1/payment_intents' && route !== '/v1/refunds') {
      return stripeError(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${path}).`,
      });
    }
    if (!headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return invalidRequest('Stripe expects application/x-www-form-urlencoded bodies.');
    }
    const idempotencyKey = headers['idempotency-key'];
    const fingerprint = JSON.stringify(Object.entries(form).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (idempotencyKey !== undefined) {
      const stored = idempotent.get(idempotencyKey);
      if (stored) {
        if (stored.path !== path || stored.fingerprint !== fingerprint) {
          return stripeError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          });
        }
        return { ...stored.answer, replayed: true };
      }
    }
    const execute = () =>
      route === '/v1/payment_intents'
        ? createPaymentIntent(form, idempotencyKey)
        : createRefund(form, idempotencyKey);
    if (cachedFailure) {
      const failure = cachedFailure;
      cachedFailure = undefined;
      if (failure.execute) execute();
      const answer = stripeError(failure.status, {
        type: 'api_error',
        message: 'An unknown error occurred.',
      });
      if (idempotencyKey !== undefined) idempotent.set(idempotencyKey, { path, fingerprint, answer });
      return answer;
    }
    const answer = execute();
    // Like Stripe, only requests that started executing are saved (success and declines),
    // not validation failures.
    if (idempotencyKey !== undefined && (answer.status === 200 || answer.status === 402)) {
      idempotent.set(idempotencyKey, { path, fingerprint, answer });
    }
    return answer;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const method = req.method ?? 'GET';
      requests.push({ method, path: url.pathname, headers, form });
      const fault = misbehaviour && misbehaviour.remaining > 0 ? misbehaviour.kind : undefined;
      if (misbehaviour && fault) misbehaviour.remaining--;
      if (fault === 'html-502') {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end(
          '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
        );
        return;
      }
      const answer = handle(method, url.pathname, headers, form, url.searchParams);
      if (fault === 'reset') return void req.socket.resetAndDestroy();
      if (fault === 'hang') return;
      if (fault === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': newId('req') });
        res.end(JSON.stringify(answer.body).slice(0, 25));
        return;
      }
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'request-id': newId('req'),
        ...(answer.replayed ? { 'idempotent-replayed': 'true' } : {}),
      });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    ledger,
    failNext(status, times = 1) {
      failures = { status, remaining: times };
    },
    misbehaveNext(kind, times = 1) {
      misbehaviour = { kind, remaining: times };
    },
    failNextAndCache({ status = 500, execute = true } = {}) {
      cachedFailure = { status, execute };
    },
    settleIntent(id, status, fields = {}) {
      const intent = intents.get(id);
      if (!intent) throw new Error(`The fake Stripe has no payment intent ${id}.`);
      intent.status = status;
      intent.body = { ...intent.body, status, next_action: null, ...fields };
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function metadataOf(form: Form): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    if (match?.[1]) metadata[match[1]] = value;
  }
  return metadata;
}
