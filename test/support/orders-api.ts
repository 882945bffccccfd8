import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CreateProductInput, Product } from '../../functions/catalog/model.ts';
import type { HistoryEntry, Order } from '../../functions/orders/model.ts';
import { signStripePayload, stripeEventBody } from '../../functions/payments/webhook.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { type ApiResponse, accountsApi, bearer, jsonInit, type Session } from './accounts-api.ts';
import { FAKE_STRIPE_KEY, type FakeStripe, startFakeStripe } from './fake-stripe.ts';
import { backendSecret, call, callPage, startTestBackend } from './local-api.ts';

/** Where Stripe-provider tests keep the fake's API key in the backend's local Secrets Manager. */
export const TEST_STRIPE_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:test-stripe';

/** A fresh Idempotency-Key; `label` makes failures readable. */
export const newKey = (label = 'key'): string => `${label}-${randomUUID()}`;

/** One order line as POST /orders takes it. */
export interface LineInput {
  readonly productId: string;
  readonly quantity: number;
}

/** A product a test creates through the admin API; override any field. */
export const productInput = (overrides: Partial<CreateProductInput> = {}): CreateProductInput => ({
  name: `Test product ${randomUUID().slice(0, 6)}`,
  description: 'Created by an orders test.',
  category: 'home',
  price: 1250,
  currency: 'EUR',
  stock: 10,
  ...overrides,
});

/** The order in a response body. */
export const orderOf = (res: ApiResponse): Order => res.body as unknown as Order;

/** The history entry types of an order, in order. */
export const historyTypes = (order: Order): string[] => order.history.map((entry) => entry.type);

/** The history entries of one type. */
export const entriesOf = (order: Order, type: string): HistoryEntry[] =>
  order.history.filter((entry) => entry.type === type);

/** A small client for the orders, payments and webhook routes of one backend. */
export function ordersApi(api: string) {
  const auth = (token: string | undefined, headers: Record<string, string> = {}) =>
    token ? bearer(token, headers) : headers;
  return {
    /** POST /orders with a fresh Idempotency-Key unless one is given (null sends none). */
    place: (token: string | undefined, items: readonly LineInput[], key: string | null = newKey('order')) =>
      call(
        `${api}/orders`,
        jsonInit('POST', { items }, auth(token, key === null ? {} : { 'idempotency-key': key })),
      ),
    get: (token: string | undefined, orderId: string) =>
      call(`${api}/orders/${orderId}`, { headers: auth(token) }),
    list: (token: string | undefined, query = '') =>
      call(`${api}/orders${query ? `?${query}` : ''}`, { headers: auth(token) }),
    cancel: (token: string | undefined, orderId: string) =>
      call(`${api}/orders/${orderId}/cancel`, { method: 'POST', headers: auth(token) }),
    ship: (token: string | undefined, orderId: string) =>
      call(`${api}/orders/${orderId}/ship`, { method: 'POST', headers: auth(token) }),
    deliver: (token: string | undefined, orderId: string) =>
      call(`${api}/orders/${orderId}/deliver`, { method: 'POST', headers: auth(token) }),
    adminList: (token: string | undefined, query: string) =>
      call(`${api}/admin/orders?${query}`, { headers: auth(token) }),
    /** POST /orders/{id}/payments with a fresh Idempotency-Key unless one is given (null sends none). */
    pay: (
      token: string | undefined,
      orderId: string,
      paymentMethod: string,
      key: string | null = newKey('pay'),
    ) =>
      call(
        `${api}/orders/${orderId}/payments`,
        jsonInit('POST', { paymentMethod }, auth(token, key === null ? {} : { 'idempotency-key': key })),
      ),
    product: (productId: string) => call(`${api}/products/${productId}`),
    /** The product's current stock; fails the test unless the product can be read. */
    async stockOf(productId: string): Promise<number> {
      const res = await call(`${api}/products/${productId}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return Number(res.body.stock);
    },
    /** Creates a product through the admin API; fails the test unless 201. */
    async createProduct(adminToken: string, overrides: Partial<CreateProductInput> = {}): Promise<Product> {
      const res = await call(
        `${api}/products`,
        jsonInit('POST', productInput(overrides), bearer(adminToken)),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as unknown as Product;
    },
    /** Places an order; fails the test unless 201. */
    async placed(token: string, items: readonly LineInput[]): Promise<Order> {
      const res = await call(
        `${api}/orders`,
        jsonInit('POST', { items }, bearer(token, { 'idempotency-key': newKey('order') })),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return orderOf(res);
    },
    /** Pays an order; fails the test unless 200. */
    async paid(token: string, orderId: string, paymentMethod = 'pm_card_visa'): Promise<Order> {
      const res = await call(
        `${api}/orders/${orderId}/payments`,
        jsonInit('POST', { paymentMethod }, bearer(token, { 'idempotency-key': newKey('pay') })),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return orderOf(res);
    },
    /** GET /orders/{id}; fails the test unless 200. */
    async read(token: string, orderId: string): Promise<Order> {
      const res = await call(`${api}/orders/${orderId}`, { headers: bearer(token) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return orderOf(res);
    },
    /**
     * The simulated provider's 3-D Secure page at a payment's `nextAction` URL: GET shows it,
     * `pass` POSTs to it, `fail` POSTs with `?fail=1` (as its two buttons do).
     */
    challenge: (url: string, answer?: 'pass' | 'fail') =>
      callPage(
        answer === 'fail' ? `${url}?fail=1` : url,
        answer ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {},
      ),
    /** POST /webhooks/payments with a raw body and whatever headers the test wants. */
    webhook: (body: string | Buffer, headers: Record<string, string>) =>
      call(`${api}/webhooks/payments`, { method: 'POST', headers, body }),
  };
}

/** The seeded admin's session. */
export async function adminSession(backend: ShopBackend): Promise<Session> {
  const admin = backend.seeded?.admin;
  if (!admin) throw new Error('The test backend seeds an admin.');
  return accountsApi(backend.url).signIn(admin.email, admin.password);
}

/** The payment webhook's endpoint secret, as the backend's functions read it. */
export const webhookSecret = (backend: ShopBackend): Promise<string> =>
  backendSecret(backend, 'PAYMENT_WEBHOOK_SECRET_ARN');

/** A Stripe-shaped event about an order's payment, with a fresh event id unless one is given. */
export function paymentEvent(
  order: Pick<Order, 'id' | 'total' | 'currency'>,
  providerPaymentId: string,
  type: string,
  extra: { id?: string; failureCode?: string; created?: number; attempt?: number } = {},
): { id: string; body: string } {
  const id = extra.id ?? `evt_test_${randomUUID().replaceAll('-', '')}`;
  return {
    id,
    body: stripeEventBody({
      id,
      type,
      orderId: order.id,
      providerPaymentId,
      amount: order.total,
      currency: order.currency,
      ...(extra.failureCode ? { failureCode: extra.failureCode } : {}),
      ...(extra.created ? { created: extra.created } : {}),
      ...(extra.attempt ? { attempt: extra.attempt } : {}),
    }),
  };
}

/** Headers of a correctly signed delivery (JSON unless another content type is given). */
export function signedHeaders(
  body: string | Buffer,
  secret: string,
  options: { timestamp?: number; contentType?: string } = {},
): Record<string, string> {
  return {
    'content-type': options.contentType ?? 'application/json',
    'stripe-signature': signStripePayload(body, secret, options.timestamp),
  };
}

/** How many times each status occurs among responses, e.g. `{ 201: 10, 409: 40 }`. */
export function statusCounts(responses: readonly ApiResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const res of responses) counts[res.status] = (counts[res.status] ?? 0) + 1;
  return counts;
}

/**
 * Starts `count` warm execution environments of a route's function by sending `count` requests
 * at once (in waves until none times out), so a following race measures the table, not cold starts
 * of dozens of worker threads on a small machine. The answers do not matter.
 */
export async function warmUp(count: number, send: (i: number) => Promise<ApiResponse>): Promise<void> {
  for (let wave = 0; wave < 4; wave++) {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
    if (results.every((res) => res.status < 500)) return;
  }
}

/** A test backend whose payment provider is `stripe`, pointed at a fake Stripe, with an admin and a buyer. */
export interface StripeBackend {
  readonly stripe: FakeStripe;
  readonly backend: ShopBackend;
  readonly orders: ReturnType<typeof ordersApi>;
  readonly admin: Session;
  readonly buyer: Session;
  /** A new product (made by the admin) and the buyer's pending order of `quantity` of it. */
  pendingOrder(product: Partial<CreateProductInput>, quantity?: number): Promise<Order>;
  stop(): Promise<void>;
}

export async function startStripeBackend(
  buyerLabel: string,
  options: {
    environment?: Record<string, string>;
    log?: (line: string) => void;
    functionEnvironment?: (logicalId: string) => Readonly<Record<string, string>>;
  } = {},
): Promise<StripeBackend> {
  const stripe = await startFakeStripe();
  const backend = await startTestBackend(
    {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_API_BASE: stripe.url,
      STRIPE_API_KEY_SECRET_ARN: TEST_STRIPE_KEY_ARN,
      ...options.environment,
    },
    {
      ...(options.log ? { log: options.log } : {}),
      ...(options.functionEnvironment ? { functionEnvironment: options.functionEnvironment } : {}),
    },
  );
  backend.putSecret(TEST_STRIPE_KEY_ARN, FAKE_STRIPE_KEY);
  const [admin, buyer] = await Promise.all([
    adminSession(backend),
    accountsApi(backend.url).newCustomer(buyerLabel),
  ]);
  const orders = ordersApi(backend.url);
  return {
    stripe,
    backend,
    orders,
    admin,
    buyer,
    pendingOrder: async (product, quantity = 1) => {
      const created = await orders.createProduct(admin.accessToken, product);
      return orders.placed(buyer.accessToken, [{ productId: created.id, quantity }]);
    },
    stop: async () => {
      await backend.stop();
      await stripe.stop();
    },
  };
}

/**
 * The Stripe backend of the describe it is called in: started before its tests (with the
 * options of `startStripeBackend`, resolved then), stopped after them. The answer is filled in
 * from the describe's `beforeAll` on: read its fields inside hooks and tests.
 */
export function useStripeBackend(
  buyerLabel: string,
  options: () => Parameters<typeof startStripeBackend>[1] = () => ({}),
): StripeBackend {
  const fixture = {} as { -readonly [K in keyof StripeBackend]: StripeBackend[K] };
  beforeAll(async () => {
    Object.assign(fixture, await startStripeBackend(buyerLabel, options()));
  });
  afterAll(async () => {
    await fixture.stop?.();
  });
  return fixture;
}

/** The payment intents a fake Stripe created for an order (their provider keys name the order). */
export const intentsFor = (stripe: FakeStripe, orderId: string) =>
  stripe.ledger.filter(
    (entry) => entry.object === 'payment_intent' && entry.idempotencyKey?.includes(orderId),
  );

/**
 * Runs a backend's schedules once (as EventBridge would) and returns what payment reconciliation
 * reported; fails the test unless it ran without error.
 */
export async function reconcileOnce(backend: ShopBackend): Promise<Record<string, number>> {
  const results = await backend.runSchedules();
  const run = results.find((result) => result.functionLogicalId.startsWith('PaymentsReconcilePayments'));
  expect(run?.ok, JSON.stringify(run?.result)).toBe(true);
  return run?.result as Record<string, number>;
}
