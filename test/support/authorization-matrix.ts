import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import type { Conversation } from '../../functions/messages/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import type { AuthLevel } from '../../lib/api/routes.ts';
import { GOOD_PASSWORD, type Session, uniqueEmail } from './accounts-api.ts';
import { newKey, productInput } from './orders-api.ts';

/**
 * Who calls, in the order the matrix calls: without a token, with tokens the gateway must refuse
 * (malformed, expired, ours but minted for another environment), then three genuine users.
 */
export const CALLERS = [
  'anonymous',
  'malformed token',
  'expired token',
  "another environment's token",
  'another user',
  'owner',
  'admin',
] as const;
export type Caller = (typeof CALLERS)[number];
/** Callers whose token the JWT authorizer refuses (401) on every route that has one. */
export const REFUSED_CALLERS: readonly Caller[] = [
  'anonymous',
  'malformed token',
  'expired token',
  "another environment's token",
];
/** Callers with a genuine customer token: the gateway refuses them (403) on admin routes. */
export const CUSTOMER_CALLERS: readonly Caller[] = ['another user', 'owner'];

/** A genuine caller: its session and password. */
export interface Principal extends Session {
  readonly password: string;
}

/** What the matrix's requests act on, built once per run; "owner" owns every resource here. */
export interface MatrixFixture {
  readonly owner: Principal;
  readonly otherUser: Principal;
  readonly admin: Principal;
  /** A customer whose password signs in on POST /auth/login, whoever calls. */
  readonly loginUser: Principal;
  /** The partner of the owner's conversation, and a user to block and unblock. */
  readonly partnerId: string;
  readonly bystanderId: string;
  readonly productId: string;
  /** A product per admin DELETE (nobody else gets past the gateway). */
  readonly deletableProductId: string;
  /** The owner's pending order that reads, payments and the other user's cancel target. */
  readonly order: Order;
  /** Orders in the states the admin-only transitions need, and one per cancelling caller. */
  readonly paidOrder: Order;
  readonly shippedOrder: Order;
  readonly cancellable: { readonly owner: Order; readonly admin: Order };
  /** The other user's own order: it must never reach the owner. */
  readonly otherUsersOrder: Order;
  /** The owner's conversation with the partner about `order`, with `secret` in a message. */
  readonly conversation: Conversation;
  readonly lastMessageId: string;
  readonly secret: string;
  /** A fresh session of a new account (for refresh and logout, which spend it). */
  freshSession(): Promise<Session>;
  /** The genuine session of a genuine caller. */
  principal(caller: Caller): Principal | undefined;
}

/** One request of the matrix, before the caller's `Authorization` is added. */
export interface MatrixRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A JSON body. */
  readonly body?: unknown;
}

/** The statuses a route answers: one for everyone (public routes ignore tokens), or per genuine caller. */
export type Expected = number | Partial<Record<'another user' | 'owner' | 'admin', number>>;

export interface MatrixRow {
  readonly request: (f: MatrixFixture, caller: Caller) => MatrixRequest | Promise<MatrixRequest>;
  readonly expected: Expected;
  /** Destroys the caller's account or credentials: the matrix runs it after everything else. */
  readonly last?: true;
}

const get = (path: string): MatrixRequest => ({ method: 'GET', path });
/** An image id no product has (the image routes' rows for callers past the gateway). */
const UNKNOWN_IMAGE_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
/** A well-formed simulated payment id the simulator holds no challenge for. */
const UNKNOWN_SIMULATED_PAYMENT = 'pi_sim_000000000000000000000000';
const post = (path: string, body?: unknown, headers?: Record<string, string>): MatrixRequest => ({
  method: 'POST',
  path,
  ...(body === undefined ? {} : { body }),
  ...(headers ? { headers } : {}),
});
const byCaller = (
  another: number,
  owner: number,
  admin: number,
): Partial<Record<'another user' | 'owner' | 'admin', number>> => ({
  'another user': another,
  owner,
  admin,
});

/**
 * Every HTTP route, by route key, with the request it gets and what each caller must get back.
 * The authorization matrix (test/security/authorization-matrix.e2e.test.ts) fails for a route of the route
 * table that has no row here. Statuses of refused callers follow from the route's auth level.
 */
export const MATRIX: Readonly<Record<string, MatrixRow>> = {
  'GET /health': { request: () => get('/health'), expected: 200 },
  'GET /openapi.json': { request: () => get('/openapi.json'), expected: 200 },
  'GET /docs': { request: () => get('/docs'), expected: 200 },
  'GET /docs/{asset}': { request: () => get('/docs/docs.js'), expected: 200 },
  'GET /products': { request: () => get('/products?limit=5'), expected: 200 },
  'GET /products/{productId}': { request: (f) => get(`/products/${f.productId}`), expected: 200 },
  'POST /products': { request: () => post('/products', productInput()), expected: { admin: 201 } },
  'PATCH /products/{productId}': {
    request: (f) => ({ method: 'PATCH', path: `/products/${f.productId}`, body: { stock: 1000 } }),
    expected: { admin: 200 },
  },
  'DELETE /products/{productId}': {
    request: (f) => ({ method: 'DELETE', path: `/products/${f.deletableProductId}` }),
    expected: { admin: 204 },
  },
  'GET /categories': { request: () => get('/categories'), expected: 200 },
  'POST /categories': {
    request: () => post('/categories', { slug: newKey('matrix').slice(0, 15), name: 'Matrix' }),
    expected: { admin: 201 },
  },
  'PATCH /categories/{categoryId}': {
    request: () => ({ method: 'PATCH', path: '/categories/music', body: { name: 'Music' } }),
    expected: { admin: 200 },
  },
  // A category that never existed: the admin gets past the gateway and the function answers.
  'DELETE /categories/{categoryId}': {
    request: () => ({ method: 'DELETE', path: '/categories/01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
    expected: { admin: 404 },
  },
  'POST /products/{productId}/images': {
    request: (f) =>
      post(`/products/${f.productId}/images`, { contentType: 'image/png', contentLength: 1000 }),
    expected: { admin: 201 },
  },
  'GET /products/{productId}/images': {
    request: (f) => get(`/products/${f.productId}/images`),
    expected: { admin: 200 },
  },
  // Past the gateway, the admin reaches the domain's own answer: no image has this id.
  'PUT /products/{productId}/images/order': {
    request: (f) => ({
      method: 'PUT',
      path: `/products/${f.productId}/images/order`,
      body: { imageIds: [UNKNOWN_IMAGE_ID] },
    }),
    expected: { admin: 400 },
  },
  'DELETE /products/{productId}/images/{imageId}': {
    request: (f) => ({ method: 'DELETE', path: `/products/${f.productId}/images/${UNKNOWN_IMAGE_ID}` }),
    expected: { admin: 404 },
  },
  'GET /products/search': { request: () => get('/products/search?q=lamp'), expected: 200 },
  'GET /products/popular': { request: () => get('/products/popular'), expected: 200 },
  'GET /products/{productId}/related': {
    request: (f) => get(`/products/${f.productId}/related`),
    expected: 200,
  },
  'GET /.well-known/openid-configuration': {
    request: () => get('/.well-known/openid-configuration'),
    expected: 200,
  },
  'GET /.well-known/jwks.json': { request: () => get('/.well-known/jwks.json'), expected: 200 },
  'POST /auth/register': {
    request: () =>
      post('/auth/register', { email: uniqueEmail('matrix'), password: GOOD_PASSWORD, displayName: 'M' }),
    expected: 201,
  },
  'POST /auth/login': {
    request: (f) => post('/auth/login', { email: f.loginUser.user.email, password: f.loginUser.password }),
    expected: 200,
  },
  'POST /auth/refresh': {
    request: async (f) => post('/auth/refresh', { refreshToken: (await f.freshSession()).refreshToken }),
    expected: 200,
  },
  'POST /auth/logout': {
    request: async (f) => post('/auth/logout', { refreshToken: (await f.freshSession()).refreshToken }),
    expected: 204,
  },
  'POST /auth/verify-email/request': {
    request: () => post('/auth/verify-email/request', { email: uniqueEmail('matrix') }),
    expected: 202,
  },
  // No code was sent to these addresses: every caller gets the same 422, none a 401.
  'POST /auth/verify-email': {
    request: () => post('/auth/verify-email', { email: uniqueEmail('matrix'), code: '000000' }),
    expected: 422,
  },
  'POST /auth/password-reset': {
    request: () => post('/auth/password-reset', { email: uniqueEmail('matrix') }),
    expected: 202,
  },
  'POST /auth/password-reset/confirm': {
    request: () =>
      post('/auth/password-reset/confirm', {
        email: uniqueEmail('matrix'),
        code: '000000',
        newPassword: GOOD_PASSWORD,
      }),
    expected: 422,
  },
  'POST /me/email': {
    request: (f, caller) =>
      post('/me/email', {
        newEmail: uniqueEmail('matrix-move'),
        currentPassword: f.principal(caller)?.password ?? GOOD_PASSWORD,
      }),
    expected: byCaller(202, 202, 202),
  },
  'POST /me/email/confirm': {
    request: () => post('/me/email/confirm', { code: '000000' }),
    expected: byCaller(422, 422, 422),
  },
  // A forged token: public (no 401 for anyone), refused alike (400).
  'POST /email/unsubscribe': {
    request: () =>
      post('/email/unsubscribe?token=01KDVDNA00AA3S80T672BC3QYS.1798761600.forgedforgedforgedforg', {}),
    expected: 400,
  },
  'GET /me': { request: () => get('/me'), expected: byCaller(200, 200, 200) },
  'PATCH /me': {
    request: () => ({ method: 'PATCH', path: '/me', body: { bio: 'Set by the matrix.' } }),
    expected: byCaller(200, 200, 200),
  },
  'PUT /me/password': {
    // The caller's own password, kept: the matrix proves who may call, not the password rules.
    request: (f, caller) => {
      const password = f.principal(caller)?.password ?? GOOD_PASSWORD;
      return {
        method: 'PUT',
        path: '/me/password',
        body: { currentPassword: password, newPassword: password },
      };
    },
    expected: byCaller(204, 204, 204),
    last: true,
  },
  'DELETE /me': {
    request: () => ({ method: 'DELETE', path: '/me' }),
    expected: byCaller(204, 204, 204),
    last: true,
  },
  'GET /me/export': { request: () => get('/me/export'), expected: byCaller(200, 200, 200) },
  'GET /me/preferences': { request: () => get('/me/preferences'), expected: byCaller(200, 200, 200) },
  'PUT /me/preferences': {
    request: () => ({ method: 'PUT', path: '/me/preferences', body: DEFAULT_PREFERENCES }),
    expected: byCaller(200, 200, 200),
  },
  'GET /me/recommendations': { request: () => get('/me/recommendations'), expected: byCaller(200, 200, 200) },
  'GET /users/{userId}': { request: (f) => get(`/users/${f.owner.user.id}`), expected: 200 },
  'POST /orders': {
    request: (f) =>
      post(
        '/orders',
        { items: [{ productId: f.productId, quantity: 1 }] },
        { 'idempotency-key': newKey('matrix') },
      ),
    expected: byCaller(201, 201, 201),
  },
  'GET /orders': { request: () => get('/orders?limit=100'), expected: byCaller(200, 200, 200) },
  'GET /orders/{orderId}': {
    request: (f) => get(`/orders/${f.order.id}`),
    expected: byCaller(404, 200, 200),
  },
  'POST /orders/{orderId}/cancel': {
    // The other user tries the owner's order before the owner cancels it; the admin cancels another.
    request: (f, caller) =>
      post(`/orders/${(caller === 'admin' ? f.cancellable.admin : f.cancellable.owner).id}/cancel`),
    expected: byCaller(404, 200, 200),
  },
  'POST /orders/{orderId}/ship': {
    request: (f) => post(`/orders/${f.paidOrder.id}/ship`),
    expected: { admin: 200 },
  },
  'POST /orders/{orderId}/deliver': {
    request: (f) => post(`/orders/${f.shippedOrder.id}/deliver`),
    expected: { admin: 200 },
  },
  'GET /admin/orders': {
    request: () => get('/admin/orders?status=pending_payment'),
    expected: { admin: 200 },
  },
  'POST /orders/{orderId}/payments': {
    // Payments are the owner's: the admin gets the 404 a stranger gets.
    request: (f) =>
      post(
        `/orders/${f.order.id}/payments`,
        { paymentMethod: 'pm_card_visa' },
        { 'idempotency-key': newKey('matrix') },
      ),
    expected: byCaller(404, 200, 404),
  },
  // The provider's webhook is authenticated by its signature, never by a token: unsigned is 400.
  'POST /webhooks/payments': {
    request: () => post('/webhooks/payments', { id: 'evt_matrix' }),
    expected: 400,
  },
  // The simulated provider's page is public like the issuer's it stands for: no token changes
  // anything (a payment it holds no challenge for is a 404 to everyone).
  'GET /simulated-payments/{providerPaymentId}/challenge': {
    request: () => get(`/simulated-payments/${UNKNOWN_SIMULATED_PAYMENT}/challenge`),
    expected: 404,
  },
  'POST /simulated-payments/{providerPaymentId}/challenge': {
    request: () => post(`/simulated-payments/${UNKNOWN_SIMULATED_PAYMENT}/challenge`),
    expected: 404,
  },
  'POST /conversations': {
    // About the owner's order: the other user may not name it, the owner finds the existing
    // conversation, and support (admin) starts one of its own with the partner.
    request: (f) => post('/conversations', { participantId: f.partnerId, orderId: f.order.id }),
    expected: byCaller(422, 200, 201),
  },
  'GET /conversations': { request: () => get('/conversations?limit=50'), expected: byCaller(200, 200, 200) },
  'GET /conversations/{conversationId}/messages': {
    request: (f) => get(`/conversations/${f.conversation.id}/messages`),
    expected: byCaller(404, 200, 200),
  },
  'POST /conversations/{conversationId}/messages': {
    request: (f) => post(`/conversations/${f.conversation.id}/messages`, { body: 'Sent by the matrix.' }),
    expected: byCaller(404, 201, 201),
  },
  'POST /conversations/{conversationId}/read': {
    request: (f) => post(`/conversations/${f.conversation.id}/read`, { upTo: f.lastMessageId }),
    expected: byCaller(404, 200, 403),
  },
  'POST /users/{userId}/block': {
    request: (f) => post(`/users/${f.bystanderId}/block`),
    expected: byCaller(204, 204, 204),
  },
  'DELETE /users/{userId}/block': {
    request: (f) => ({ method: 'DELETE', path: `/users/${f.bystanderId}/block` }),
    expected: byCaller(204, 204, 204),
  },
  'GET /admin/conversations': {
    request: () => get('/admin/conversations?limit=50'),
    expected: { admin: 200 },
  },
};

/**
 * The status a caller must get: the gateway's 401 for a refused token and 403 for a customer on
 * an admin route (the function never runs), otherwise the row's status. Undefined when the row
 * lacks one.
 */
export function expectedStatus(auth: AuthLevel, row: MatrixRow, caller: Caller): number | undefined {
  if (auth !== 'public' && REFUSED_CALLERS.includes(caller)) return 401;
  if (auth === 'admin' && CUSTOMER_CALLERS.includes(caller)) return 403;
  if (typeof row.expected === 'number') return row.expected;
  return row.expected[caller as keyof typeof row.expected];
}
