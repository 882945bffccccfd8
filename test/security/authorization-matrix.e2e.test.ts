import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTES, type RouteDefinition, routeKey } from '../../lib/api/routes.ts';
import { environmentConfig } from '../../lib/config/environments.ts';
import { expectGatewayRefusal, type Session } from '../support/accounts-api.ts';
import {
  CALLERS,
  type Caller,
  expectedStatus,
  MATRIX,
  type MatrixFixture,
  type MatrixRequest,
  type Principal,
  REFUSED_CALLERS,
} from '../support/authorization-matrix.ts';
import { assertContract } from '../support/contract.ts';
import {
  functionOf,
  genuineClaims,
  realSigningKey,
  signRs256,
  tokenSettings,
} from '../support/forged-tokens.ts';
import { adminSession } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';
import { openSocket, tokenProtocols } from '../support/websocket.ts';

const nowEpoch = () => Math.floor(Date.now() / 1000);
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/** Routes that destroy the caller's account or credentials run after every other route. */
const ORDERED_ROUTES = [...ROUTES].sort(
  (a, b) => Number(Boolean(MATRIX[routeKey(a)]?.last)) - Number(Boolean(MATRIX[routeKey(b)]?.last)),
);

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly contentType: string;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

/**
 * Sends a matrix request with an `Authorization` value (none when undefined). Every exchange is
 * held to the OpenAPI document like `call()` does, request side included; bodies that are not
 * JSON (the docs page and its assets) are kept as text.
 */
async function send(api: string, request: MatrixRequest, authorization: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = {
    ...request.headers,
    ...(authorization === undefined ? {} : { authorization }),
    ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const url = `${api}${request.path}`;
  const sent = request.body === undefined ? {} : { body: JSON.stringify(request.body) };
  const res = await fetch(url, { method: request.method, headers, ...sent });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  // Both sides: a success for a request the document refuses (a body, a query value) fails too.
  assertContract({
    method: request.method,
    url,
    status: res.status,
    contentType,
    text,
    request: { headers, ...sent },
  });
  const body = text && contentType.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: res.status, headers: res.headers, contentType, text, body };
}

/** The security headers every answer a function produced carries (API Gateway's own cannot). */
function expectSecurityHeaders(route: Pick<RouteDefinition, 'auth' | 'method'>, answer: Answer): void {
  const hsts = answer.headers.get('strict-transport-security') ?? '';
  expect(Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0), `HSTS: ${hsts}`).toBeGreaterThanOrEqual(
    ONE_YEAR_SECONDS,
  );
  expect(hsts).toMatch(/;\s*includeSubDomains/);
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  const personal = route.auth !== 'public' || route.method !== 'GET' || answer.status >= 400;
  if (personal)
    expect(answer.headers.get('cache-control'), 'personal answers are never cached').toBe('no-store');
}

describe('the authorization matrix: every route x every kind of caller, through the local API', () => {
  const shop = useShop({ own: true });
  let fixture: MatrixFixture;
  let authorizations: Record<Caller, string | undefined>;
  /** Strings only their owner may ever see, by whose they are: credentials, and private data. */
  let privateStrings: Record<
    'owner' | 'another user' | 'admin' | 'bystanders',
    { credentials: string[]; data: string[] }
  >;

  beforeAll(async () => {
    const accounts = shop.accounts;
    const orders = shop.orders;
    const messages = shop.messages;
    const seededAdmin = shop.backend.seeded?.admin;
    if (!seededAdmin) throw new Error('The test backend seeds an admin.');
    // One at a time: each sign-up runs scrypt, and the CPU is shared with the other test files.
    const adminSessionValue = await adminSession(shop.backend);
    const owner = await accounts.newCustomer('owner');
    const otherUser = await accounts.newCustomer('other-user');
    const loginUser = await accounts.newCustomer('login-user');
    const partner = await accounts.newCustomer('partner');
    const bystander = await accounts.newCustomer('bystander');
    const admin: Principal = { ...adminSessionValue, password: seededAdmin.password };
    const product = await orders.createProduct(admin.accessToken, { stock: 1000 });
    const deletable = await orders.createProduct(admin.accessToken);
    const line = [{ productId: product.id, quantity: 1 }];
    const order = await orders.placed(owner.accessToken, line);
    const paidOrder = await orders.placed(owner.accessToken, line);
    const shippedOrder = await orders.placed(owner.accessToken, line);
    const cancelOwn = await orders.placed(owner.accessToken, line);
    const cancelAdmin = await orders.placed(owner.accessToken, line);
    const otherUsersOrder = await orders.placed(otherUser.accessToken, line);
    await orders.paid(owner.accessToken, paidOrder.id);
    await orders.paid(owner.accessToken, shippedOrder.id);
    expect((await orders.ship(admin.accessToken, shippedOrder.id)).status).toBe(200);
    const secret = 'only-the-owner-and-the-partner-may-read-this';
    const conversation = await messages.started(owner.accessToken, {
      participantId: partner.user.id,
      orderId: order.id,
      subject: 'About my order',
    });
    const message = await messages.sent(partner.accessToken, conversation.id, secret);
    const principals: Partial<Record<Caller, Principal>> = { owner, 'another user': otherUser, admin };
    fixture = {
      owner,
      otherUser,
      admin,
      loginUser,
      partnerId: partner.user.id,
      bystanderId: bystander.user.id,
      productId: product.id,
      deletableProductId: deletable.id,
      order,
      paidOrder,
      shippedOrder,
      cancellable: { owner: cancelOwn, admin: cancelAdmin },
      otherUsersOrder,
      conversation,
      lastMessageId: message.id,
      secret,
      freshSession: () => accounts.newCustomer('fresh-session'),
      principal: (caller) => principals[caller],
    };
    const credentials = (...sessions: Session[]) => sessions.flatMap((s) => [s.accessToken, s.refreshToken]);
    privateStrings = {
      owner: {
        credentials: credentials(owner),
        data: [
          owner.user.email,
          ...[order, paidOrder, shippedOrder, cancelOwn, cancelAdmin].map((o) => o.id),
          conversation.id,
          secret,
        ],
      },
      'another user': {
        credentials: credentials(otherUser),
        data: [otherUser.user.email, otherUsersOrder.id],
      },
      admin: { credentials: credentials(admin), data: [admin.user.email] },
      bystanders: {
        credentials: credentials(partner, bystander, loginUser),
        data: [partner.user.email, bystander.user.email],
      },
    };

    const settings = tokenSettings(shop.backend);
    const key = await realSigningKey(shop.backend);
    const sign = (claims: Parameters<typeof signRs256>[0]) =>
      signRs256(claims, key.privateKey, { kid: key.kid });
    const prod = environmentConfig('prod');
    authorizations = {
      anonymous: undefined,
      'malformed token': 'Bearer not-a-jwt',
      // The refused tokens claim the owner with the admin scope: the most a forger would ask.
      'expired token': `Bearer ${await sign(
        genuineClaims(settings, owner.user.id, {
          scope: 'admin',
          iat: nowEpoch() - 3600,
          nbf: nowEpoch() - 3600,
          exp: nowEpoch() - 60,
        }),
      )}`,
      // Signed with this backend's own key (the worst case: keys shared between environments),
      // for prod's audience and issuer.
      "another environment's token": `Bearer ${await sign(
        genuineClaims(
          { issuer: 'https://prodapi00.execute-api.eu-west-1.amazonaws.com', audience: prod.authAudience },
          owner.user.id,
          { scope: 'admin' },
        ),
      )}`,
      'another user': `Bearer ${otherUser.accessToken}`,
      owner: `Bearer ${owner.accessToken}`,
      admin: `Bearer ${admin.accessToken}`,
    };
  }, 180_000);

  it('has a row for every route of the route table, and none for a route that does not exist', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it.each(ROUTES.map((route) => ({ key: routeKey(route), route })))(
    '$key has an expected status for every caller, each one the route table documents',
    ({ key, route }) => {
      const row = MATRIX[key];
      expect(row, `${key} needs a row in test/support/authorization-matrix.ts`).toBeDefined();
      if (!row) return;
      for (const caller of CALLERS) {
        const status = expectedStatus(route.auth, row, caller);
        expect(status, `${key}: the ${caller}`).toEqual(expect.any(Number));
        // The gateway's 401/403 are not the function's to document on public routes.
        if (Number(status) !== 401 || route.auth === 'public')
          expect(Object.keys(route.responses), `${key}: the ${caller}`).toContain(String(status));
      }
    },
  );

  it.each([
    { what: 'an unknown path', request: { method: 'GET', path: '/no-such-thing' }, status: 404 },
    { what: 'a method the path lacks', request: { method: 'DELETE', path: '/health' }, status: 405 },
  ])(
    'answers $what (the catch-all route) with a problem carrying the security headers',
    async ({ request, status }) => {
      const answer = await send(shop.api, request, authorizations.owner);
      expect(answer.status).toBe(status);
      expect(answer.contentType).toBe('application/problem+json');
      expectSecurityHeaders({ auth: 'public', method: 'GET' }, answer);
    },
  );

  /** What the caller must never see: everybody else's private strings that its request did not name. */
  function forbiddenFor(caller: Caller, request: MatrixRequest): string[] {
    const named = `${request.path} ${JSON.stringify(request.body ?? null)}`;
    const whose = caller === 'owner' || caller === 'another user' || caller === 'admin' ? caller : undefined;
    const others = (['owner', 'another user', 'admin', 'bystanders'] as const).filter(
      (name) => name !== whose,
    );
    // Support (admin) reads any order and order conversation, but nobody's credentials.
    const forbidden = others.flatMap((name) => [
      ...privateStrings[name].credentials,
      ...(caller === 'admin' ? [] : privateStrings[name].data),
    ]);
    return forbidden.filter((text) => !named.includes(text));
  }

  // Before the HTTP routes: DELETE /me, run last, erases the callers.
  describe('the WebSocket $connect', () => {
    it.each(CALLERS.map((caller) => ({ caller })))(
      'answers the $caller as the matrix says',
      async ({ caller }) => {
        const url = shop.backend.webSocketUrl;
        if (!url) throw new Error('The test backend has a WebSocket API.');
        const authorization = authorizations[caller];
        const protocols = authorization ? tokenProtocols(authorization.replace(/^Bearer /, '')) : ['shop.v1'];
        const result = await openSocket(url, protocols);
        if (REFUSED_CALLERS.includes(caller)) {
          expect(result).toEqual({ ok: false, status: 401 });
          return;
        }
        expect(result.ok, `the ${caller} connects`).toBe(true);
        if (result.ok) await result.socket.close();
      },
    );
  });

  describe.each(ORDERED_ROUTES.map((route) => ({ key: routeKey(route), route })))(
    '$key',
    ({ key, route }) => {
      it.each(CALLERS.map((caller) => ({ caller })))(
        'answers the $caller as the matrix says',
        async ({ caller }) => {
          const row = MATRIX[key];
          const expected = row && expectedStatus(route.auth, row, caller);
          if (!row || expected === undefined)
            throw new Error(`${key} has no expected status for the ${caller}.`);
          const request = await row.request(fixture, caller);
          const byGateway =
            route.auth !== 'public' && (expected === 401 || (expected === 403 && route.auth === 'admin'));
          const invoke = vi.spyOn(functionOf(shop.backend, route.id), 'invoke');
          let answer: Answer;
          try {
            answer = await send(shop.api, request, authorizations[caller]);
            if (byGateway)
              expect(invoke, 'the gateway refused; the function never ran').not.toHaveBeenCalled();
          } finally {
            invoke.mockRestore();
          }
          if (byGateway && expected !== 403) {
            expectGatewayRefusal({ ...answer, body: answer.body }, 401);
          } else if (byGateway) {
            expectGatewayRefusal({ ...answer, body: answer.body }, 403);
          } else {
            expect(answer.status, answer.text.slice(0, 500)).toBe(expected);
            if (expected >= 400) expect(answer.contentType).toBe('application/problem+json');
            expectSecurityHeaders(route, answer);
          }
          for (const text of forbiddenFor(caller, request)) {
            expect(answer.text.includes(text), `the ${caller} got ${text} from ${key}`).toBe(false);
          }
        },
      );
    },
  );
});
