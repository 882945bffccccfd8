import { demoProducts } from '../demo/seed.ts';
import { DEFAULT_ROUTE, ROUTES, type RouteDefinition, routeKey } from './routes.ts';

const SAMPLE_ORDER_ID = '01KDVDNA00SAMP1E0RDER00000';
const SAMPLE_CONVERSATION_ID = '01KDVDNA00SAMP1EC0NVERSAT1';
const SAMPLE_MESSAGE_ID = '01KDVDNA00SAMP1EMESSAGE001';
const SAMPLE_OTHER_USER_ID = '01KDVDNA00SAMP1EB10CKED000';
/** Routes that require an Idempotency-Key header. */
const IDEMPOTENT = ['POST /orders', 'POST /orders/{orderId}/payments'];

/** Example inputs per route key; anything not listed gets placeholder path parameters. */
const SAMPLE_INPUTS: Record<
  string,
  {
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
  }
> = {
  'GET /products': { query: { limit: '5' } },
  // A well-formed simulated payment id (the local table holds no challenge for it: a 404 page).
  'GET /simulated-payments/{providerPaymentId}/challenge': {
    pathParameters: { providerPaymentId: 'pi_sim_5d41402abc4b2a76b9719d91' },
  },
  'POST /simulated-payments/{providerPaymentId}/challenge': {
    pathParameters: { providerPaymentId: 'pi_sim_5d41402abc4b2a76b9719d91' },
  },
  // The first product of the deterministic demo catalog, so the sample finds something locally.
  'GET /products/{productId}': { pathParameters: { productId: demoProducts()[0]?.id ?? '' } },
  'PATCH /products/{productId}': {
    pathParameters: { productId: demoProducts()[0]?.id ?? '' },
    body: { stock: 42 },
  },
  'DELETE /products/{productId}': { pathParameters: { productId: demoProducts()[0]?.id ?? '' } },
  'POST /products': {
    body: {
      name: 'Sample Lamp',
      description: 'A lamp.',
      category: 'home',
      price: 2599,
      currency: 'EUR',
      stock: 10,
    },
  },
  'POST /auth/register': {
    body: { email: 'sample@example.com', password: 'a sample password', displayName: 'Sample' },
  },
  'POST /auth/login': { body: { email: 'admin@shop.local', password: 'local-admin-password' } },
  'POST /auth/refresh': { body: { refreshToken: 'paste-a-refresh-token-here' } },
  'POST /auth/logout': { body: { refreshToken: 'paste-a-refresh-token-here' } },
  'PATCH /me': { body: { bio: 'Hello!' } },
  'PUT /me/password': {
    body: { currentPassword: 'a sample password', newPassword: 'another sample password' },
  },
  'PUT /me/preferences': {
    body: {
      language: 'en-GB',
      currency: 'GBP',
      theme: 'dark',
      marketingEmails: false,
      favoriteCategories: ['books'],
    },
  },
  'GET /users/{userId}': { pathParameters: { userId: '01KDVDNA00AA3S80T672BC3QYS' } },
  'POST /orders': { body: { items: [{ productId: demoProducts()[0]?.id ?? '', quantity: 1 }] } },
  'GET /orders': { query: { limit: '10' } },
  'GET /admin/orders': { query: { status: 'paid', limit: '10' } },
  'POST /orders/{orderId}/payments': {
    pathParameters: { orderId: SAMPLE_ORDER_ID },
    body: { paymentMethod: 'pm_card_visa' },
  },
  // A Stripe event as the provider sends it. The signature is a placeholder: signed with the
  // environment's webhook secret (signStripePayload) the event would be processed; as is, it is a 400.
  'POST /webhooks/payments': {
    headers: { 'stripe-signature': `t=1767225600,v1=${'0'.repeat(64)}` },
    body: {
      id: 'evt_sample_0001',
      object: 'event',
      api_version: '2024-06-20',
      created: 1767225600,
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: 'pi_sample_0001',
          object: 'payment_intent',
          amount: 2599,
          currency: 'eur',
          status: 'succeeded',
          metadata: { orderId: SAMPLE_ORDER_ID, attempt: '1' },
        },
      },
    },
  },
  'POST /conversations': {
    body: { participantId: SAMPLE_OTHER_USER_ID, orderId: SAMPLE_ORDER_ID, subject: 'Where is my parcel?' },
  },
  'GET /conversations': { query: { limit: '20' } },
  'GET /conversations/{conversationId}/messages': {
    pathParameters: { conversationId: SAMPLE_CONVERSATION_ID },
    query: { limit: '30' },
  },
  'POST /conversations/{conversationId}/messages': {
    pathParameters: { conversationId: SAMPLE_CONVERSATION_ID },
    body: { body: 'Hello! Is the lamp still available?', clientMessageId: 'sample-client-message-1' },
  },
  'POST /conversations/{conversationId}/read': {
    pathParameters: { conversationId: SAMPLE_CONVERSATION_ID },
    body: { upTo: SAMPLE_MESSAGE_ID },
  },
  'POST /users/{userId}/block': { pathParameters: { userId: SAMPLE_OTHER_USER_ID } },
  'DELETE /users/{userId}/block': { pathParameters: { userId: SAMPLE_OTHER_USER_ID } },
  'GET /admin/conversations': { query: { limit: '20' } },
  'GET /me/recommendations': { query: { limit: '10' } },
  'GET /products/{productId}/related': {
    pathParameters: { productId: demoProducts()[0]?.id ?? '' },
    query: { limit: '5' },
  },
  'GET /products/popular': { query: { category: 'books', window: '7d', limit: '10' } },
  'GET /products/search': { query: { q: 'lamp', category: 'home', sort: 'relevance', limit: '20' } },
};

/** Claims the JWT authorizer would pass for a signed-in sample user (an admin on admin routes). */
function sampleAuthorizer(route: Pick<RouteDefinition, 'auth'>): Record<string, unknown> | undefined {
  if (route.auth === 'public') return undefined;
  const claims: Record<string, string> = {
    sub: '01KDVDNA00SAMP1EUSER000000',
    iss: 'http://localhost:3000',
    aud: 'shop-api-local',
    iat: '1767225600',
    nbf: '1767225600',
    exp: '1767226500',
  };
  if (route.auth === 'admin') claims.scope = 'admin';
  return { jwt: { claims, scopes: route.auth === 'admin' ? ['admin'] : null } };
}

function concretePath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? name));
}

/**
 * A deterministic API Gateway payload 2.0 event for a route, as written to `events/` for
 * `npm run invoke` and `sam local invoke -e`.
 */
export function sampleEvent(
  route: Pick<RouteDefinition, 'method' | 'path' | 'auth'> | 'default',
): Record<string, unknown> {
  const key = route === 'default' ? DEFAULT_ROUTE.routeKey : routeKey(route);
  const method = route === 'default' ? 'GET' : route.method;
  const input = SAMPLE_INPUTS[key] ?? {};
  const pathParameters =
    route === 'default'
      ? {}
      : (input.pathParameters ??
        Object.fromEntries(
          [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => [
            m[1],
            m[1] === 'orderId' ? SAMPLE_ORDER_ID : `sample-${m[1]}`,
          ]),
        ));
  const rawPath = route === 'default' ? '/no-such-route' : concretePath(route.path, pathParameters);
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  const authorizer = route === 'default' ? undefined : sampleAuthorizer(route);
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: key,
    rawPath,
    rawQueryString,
    headers: {
      accept: 'application/json',
      host: 'localhost:3000',
      'user-agent': 'shop-sample-event',
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(IDEMPOTENT.includes(key) ? { 'idempotency-key': 'sample-idempotency-key-0001' } : {}),
      ...input.headers,
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost:3000',
      domainPrefix: 'localhost:3000',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'shop-sample-event',
      },
      requestId: '00000000-0000-4000-8000-000000000000',
      routeKey: key,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
      ...(authorizer ? { authorizer } : {}),
    },
    isBase64Encoded: false,
  };
  if (input.query) event.queryStringParameters = input.query;
  if (Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (body) event.body = body;
  return event;
}

/** Every sample event file: `events/<id>.json` (the route's stable `id`) -> event. */
export function sampleEventFiles(): Map<string, Record<string, unknown>> {
  const files = new Map<string, Record<string, unknown>>();
  for (const route of ROUTES) files.set(`${route.id}.json`, sampleEvent(route));
  files.set(`${DEFAULT_ROUTE.id}.json`, sampleEvent('default'));
  return files;
}
