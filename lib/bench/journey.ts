import { randomUUID } from 'node:crypto';
import { signStripePayload, stripeEventBody } from '../../functions/payments/webhook.ts';
import type { ApiRoute } from '../local/apigateway/http/definition.ts';
import type { BenchClient, BenchRequest, BenchResponse } from './http-client.ts';

/** Who is signed in during a journey, and what it created. */
interface JourneyState {
  readonly run: string;
  readonly productId: string;
  admin?: string;
  user?: { id: string; access: string; refresh: string; password: string };
  other?: { id: string; access: string; refresh: string };
  product?: string;
  order?: string;
  cancelled?: string;
  conversation?: string;
  message?: string;
}

interface Step {
  /** The route key this request exercises. */
  readonly route: string;
  readonly request: (s: JourneyState) => BenchRequest;
  /** Statuses that mean the step did what it should (2xx by default). */
  readonly expect?: readonly number[];
  readonly capture?: (s: JourneyState, body: Record<string, unknown>) => void;
}

export interface JourneyContext {
  readonly admin: { readonly email: string; readonly password: string };
  /** A product of the seeded catalog. */
  readonly productId: string;
  /** The secret the payment provider signs webhooks with. */
  readonly webhookSecret: string;
}

export interface StepResult {
  readonly route: string;
  readonly status: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly detail?: string;
}

const json = (
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  extra: Record<string, string> = {},
): BenchRequest => ({
  method,
  path,
  headers: {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...extra,
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

const must = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`The journey has no ${what} yet (an earlier step failed).`);
  return value;
};
const str = (value: unknown): string => String(value);
type Session = NonNullable<JourneyState['user']>;

/** Signs up a new user of this run (`a`, `b`) and keeps its session. */
const register = (who: string, keep: (s: JourneyState, session: Session) => void): Step => {
  const password = `bench password ${who}`;
  return {
    route: 'POST /auth/register',
    request: (s) =>
      json('POST', '/auth/register', {
        email: `bench-${s.run}-${who}@example.com`,
        password,
        displayName: `Bench ${who}`,
      }),
    capture: (s, body) =>
      keep(s, {
        id: str((body.user as { id: unknown }).id),
        access: str(body.accessToken),
        refresh: str(body.refreshToken),
        password,
      }),
  };
};

/**
 * One customer's and one admin's day, touching every route of the API once with a request
 * that succeeds: sign-up, catalog, orders through payment, shipping and delivery, a cancel,
 * a webhook, messages, password change, export, logout and erasure. The bench times each
 * step's first run (cold functions) and reads what the later runs cost (warm).
 */
function steps(context: JourneyContext): Step[] {
  const u = (s: JourneyState) => must(s.user, 'user');
  const v = (s: JourneyState) => must(s.other, 'second user');
  const admin = (s: JourneyState) => must(s.admin, 'admin token');
  const placeOrder = (s: JourneyState) =>
    json(
      'POST',
      '/orders',
      { items: [{ productId: must(s.product, 'product'), quantity: 1 }] },
      u(s).access,
      {
        'idempotency-key': randomUUID(),
      },
    );
  return [
    { route: 'GET /health', request: () => json('GET', '/health') },
    { route: 'GET /openapi.json', request: () => json('GET', '/openapi.json') },
    {
      route: 'GET /.well-known/openid-configuration',
      request: () => json('GET', '/.well-known/openid-configuration'),
    },
    { route: 'GET /.well-known/jwks.json', request: () => json('GET', '/.well-known/jwks.json') },
    { route: 'GET /products', request: () => json('GET', '/products?limit=20') },
    { route: 'GET /products/{productId}', request: (s) => json('GET', `/products/${s.productId}`) },
    register('a', (s, signedUp) => {
      s.user = signedUp;
    }),
    register('b', (s, signedUp) => {
      s.other = signedUp;
    }),
    {
      route: 'POST /auth/login',
      request: () => json('POST', '/auth/login', context.admin),
      capture: (s, body) => {
        s.admin = str(body.accessToken);
      },
    },
    {
      route: 'POST /auth/refresh',
      request: (s) => json('POST', '/auth/refresh', { refreshToken: u(s).refresh }),
      capture: (s, body) => {
        s.user = { ...u(s), access: str(body.accessToken), refresh: str(body.refreshToken) };
      },
    },
    { route: 'GET /me', request: (s) => json('GET', '/me', undefined, u(s).access) },
    { route: 'PATCH /me', request: (s) => json('PATCH', '/me', { bio: 'Benchmarking.' }, u(s).access) },
    { route: 'GET /me/preferences', request: (s) => json('GET', '/me/preferences', undefined, u(s).access) },
    {
      route: 'PUT /me/preferences',
      request: (s) =>
        json(
          'PUT',
          '/me/preferences',
          {
            language: 'en-GB',
            currency: 'EUR',
            theme: 'dark',
            marketingEmails: false,
            favoriteCategories: ['books'],
          },
          u(s).access,
        ),
    },
    { route: 'GET /users/{userId}', request: (s) => json('GET', `/users/${v(s).id}`) },
    {
      route: 'POST /products',
      request: (s) =>
        json(
          'POST',
          '/products',
          {
            name: 'Bench lamp',
            description: 'A lamp.',
            category: 'home',
            price: 2599,
            currency: 'EUR',
            stock: 100,
          },
          admin(s),
        ),
      capture: (s, body) => {
        s.product = str(body.id);
      },
    },
    {
      route: 'PATCH /products/{productId}',
      request: (s) => json('PATCH', `/products/${must(s.product, 'product')}`, { stock: 90 }, admin(s)),
    },
    {
      route: 'POST /orders',
      request: placeOrder,
      capture: (s, body) => {
        s.order = str(body.id);
      },
    },
    { route: 'GET /orders', request: (s) => json('GET', '/orders?limit=10', undefined, u(s).access) },
    {
      route: 'GET /orders/{orderId}',
      request: (s) => json('GET', `/orders/${must(s.order, 'order')}`, undefined, u(s).access),
    },
    {
      route: 'POST /orders/{orderId}/payments',
      request: (s) =>
        json(
          'POST',
          `/orders/${must(s.order, 'order')}/payments`,
          { paymentMethod: 'pm_card_visa' },
          u(s).access,
          {
            'idempotency-key': randomUUID(),
          },
        ),
    },
    {
      route: 'GET /admin/orders',
      request: (s) => json('GET', '/admin/orders?status=paid&limit=10', undefined, admin(s)),
    },
    {
      route: 'POST /orders/{orderId}/ship',
      request: (s) => json('POST', `/orders/${must(s.order, 'order')}/ship`, undefined, admin(s)),
    },
    {
      route: 'POST /orders/{orderId}/deliver',
      request: (s) => json('POST', `/orders/${must(s.order, 'order')}/deliver`, undefined, admin(s)),
    },
    {
      route: 'POST /orders',
      request: placeOrder,
      capture: (s, body) => {
        s.cancelled = str(body.id);
      },
    },
    {
      route: 'POST /orders/{orderId}/cancel',
      request: (s) =>
        json('POST', `/orders/${must(s.cancelled, 'order to cancel')}/cancel`, undefined, u(s).access),
    },
    {
      route: 'POST /webhooks/payments',
      request: () => {
        // An event type the API acknowledges and ignores: signature check, parse, no effect.
        const body = stripeEventBody({
          id: `evt_bench_${randomUUID()}`,
          type: 'customer.created',
          orderId: 'none',
          providerPaymentId: 'pi_bench',
          amount: 0,
          currency: 'EUR',
        });
        return {
          method: 'POST',
          path: '/webhooks/payments',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signStripePayload(body, context.webhookSecret),
          },
          body,
        };
      },
    },
    {
      route: 'POST /conversations',
      request: (s) =>
        json('POST', '/conversations', { participantId: v(s).id, subject: 'Bench' }, u(s).access),
      capture: (s, body) => {
        s.conversation = str(body.id);
      },
    },
    {
      route: 'POST /conversations/{conversationId}/messages',
      request: (s) =>
        json(
          'POST',
          `/conversations/${must(s.conversation, 'conversation')}/messages`,
          { body: 'Hello from the bench.' },
          u(s).access,
        ),
      capture: (s, body) => {
        s.message = str(body.id);
      },
    },
    {
      route: 'GET /conversations/{conversationId}/messages',
      request: (s) =>
        json(
          'GET',
          `/conversations/${must(s.conversation, 'conversation')}/messages`,
          undefined,
          v(s).access,
        ),
    },
    {
      route: 'POST /conversations/{conversationId}/read',
      request: (s) =>
        json(
          'POST',
          `/conversations/${must(s.conversation, 'conversation')}/read`,
          { upTo: must(s.message, 'message') },
          v(s).access,
        ),
    },
    { route: 'GET /conversations', request: (s) => json('GET', '/conversations', undefined, u(s).access) },
    {
      route: 'GET /admin/conversations',
      request: (s) => json('GET', '/admin/conversations', undefined, admin(s)),
    },
    {
      route: 'POST /users/{userId}/block',
      request: (s) => json('POST', `/users/${v(s).id}/block`, undefined, u(s).access),
    },
    {
      route: 'DELETE /users/{userId}/block',
      request: (s) => json('DELETE', `/users/${v(s).id}/block`, undefined, u(s).access),
    },
    {
      route: 'PUT /me/password',
      request: (s) =>
        json(
          'PUT',
          '/me/password',
          { currentPassword: u(s).password, newPassword: 'bench password three' },
          u(s).access,
        ),
    },
    { route: 'GET /me/export', request: (s) => json('GET', '/me/export', undefined, u(s).access) },
    {
      route: 'POST /auth/logout',
      request: (s) => json('POST', '/auth/logout', { refreshToken: v(s).refresh }),
    },
    { route: 'DELETE /me', request: (s) => json('DELETE', '/me', undefined, v(s).access) },
    {
      route: 'DELETE /products/{productId}',
      request: (s) => json('DELETE', `/products/${must(s.product, 'product')}`, undefined, admin(s)),
    },
    { route: '$default', request: () => json('GET', '/no-such-route'), expect: [404] },
  ];
}

/** The routes a journey exercises (route keys). */
export function journeyRoutes(context: JourneyContext): Set<string> {
  return new Set(steps(context).map((step) => step.route));
}

/**
 * Runs the journey once, step after step. A step that does not answer as expected is
 * reported; with `strict` it stops the run (the first run checks that the journey still
 * matches the API).
 */
export async function runJourney(
  client: BenchClient,
  context: JourneyContext,
  options: { strict: boolean; onStep?: (result: StepResult) => void },
): Promise<StepResult[]> {
  const state: JourneyState = { run: randomUUID().slice(0, 8), productId: context.productId };
  const results: StepResult[] = [];
  for (const step of steps(context)) {
    let response: BenchResponse;
    try {
      response = await client.request(step.request(state));
    } catch (error) {
      const result = { route: step.route, status: 0, ms: 0, ok: false, detail: String(error) };
      results.push(result);
      options.onStep?.(result);
      if (options.strict) throw new Error(`Journey step ${step.route} failed: ${result.detail}`);
      continue;
    }
    const ok = step.expect
      ? step.expect.includes(response.status)
      : response.status >= 200 && response.status < 300;
    const result: StepResult = {
      route: step.route,
      status: response.status,
      ms: response.ms,
      ok,
      ...(ok ? {} : { detail: response.body.slice(0, 300) }),
    };
    results.push(result);
    options.onStep?.(result);
    if (!ok && options.strict) {
      throw new Error(
        `Journey step ${step.route} answered ${response.status}: ${response.body.slice(0, 500)}`,
      );
    }
    if (ok && step.capture && response.body) {
      step.capture(state, JSON.parse(response.body) as Record<string, unknown>);
    }
  }
  return results;
}

/**
 * A request for a route the journey does not know (one added since), good enough to start its
 * function: placeholder path parameters, an empty JSON body for writes, a token when the
 * route needs one. It may well answer 4xx; its function still initializes and runs.
 */
export function genericRequest(route: ApiRoute, tokens: { user: string; admin: string }): BenchRequest {
  const path = (route.path ?? '/').replace(/\{[^}]+\}/g, '01KDVDNA00BENCH0000000000X');
  const write = route.method !== undefined && !['GET', 'DELETE'].includes(route.method);
  const token =
    route.authorizationType === 'NONE'
      ? undefined
      : route.authorizationScopes.includes('admin')
        ? tokens.admin
        : tokens.user;
  return json(
    route.method === 'ANY' || !route.method ? 'GET' : route.method,
    path,
    write ? {} : undefined,
    token,
  );
}
