import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import type { LocalBackend } from '../../lib/local/backend.ts';
import {
  type ApiResponse,
  accountsApi,
  expectGatewayRefusal,
  expectProblem,
  problemWithoutInstance,
  type Session,
} from '../support/accounts-api.ts';
import {
  functionOf,
  genuineClaims,
  payloadOf,
  realSigningKey,
  signRs256,
  tokenSettings,
  withPayload,
} from '../support/forged-tokens.ts';
import { call, startTestBackend } from '../support/local-api.ts';
import { adminSession, newKey, orderOf, ordersApi } from '../support/orders-api.ts';

const NO_SUCH_ORDER = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/** One of the orders domain's routes, as a request any caller can send. */
interface OrderRoute {
  readonly route: string;
  readonly entry: string;
  readonly auth: 'user' | 'admin';
  /** Sends the request for an order (ignored by routes without one) with an Authorization header value. */
  readonly send: (
    api: string,
    orderId: string,
    productId: string,
    authorization?: string,
  ) => Promise<ApiResponse>;
}

function request(
  api: string,
  method: string,
  path: string,
  authorization: string | undefined,
  body?: unknown,
): Promise<ApiResponse> {
  return call(`${api}${path}`, {
    method,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined
        ? {}
        : { 'content-type': 'application/json', 'idempotency-key': newKey('authz') }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const ROUTES: readonly OrderRoute[] = [
  {
    route: 'POST /orders',
    entry: 'functions/orders/create-order.ts',
    auth: 'user',
    send: (api, _id, productId, authorization) =>
      request(api, 'POST', '/orders', authorization, { items: [{ productId, quantity: 1 }] }),
  },
  {
    route: 'GET /orders',
    entry: 'functions/orders/list-orders.ts',
    auth: 'user',
    send: (api, _id, _p, authorization) => request(api, 'GET', '/orders', authorization),
  },
  {
    route: 'GET /orders/{orderId}',
    entry: 'functions/orders/get-order.ts',
    auth: 'user',
    send: (api, id, _p, authorization) => request(api, 'GET', `/orders/${id}`, authorization),
  },
  {
    route: 'POST /orders/{orderId}/cancel',
    entry: 'functions/orders/cancel-order.ts',
    auth: 'user',
    send: (api, id, _p, authorization) => request(api, 'POST', `/orders/${id}/cancel`, authorization),
  },
  {
    route: 'POST /orders/{orderId}/payments',
    entry: 'functions/payments/create-payment.ts',
    auth: 'user',
    send: (api, id, _p, authorization) =>
      request(api, 'POST', `/orders/${id}/payments`, authorization, { paymentMethod: 'pm_card_visa' }),
  },
  {
    route: 'POST /orders/{orderId}/ship',
    entry: 'functions/orders/ship-order.ts',
    auth: 'admin',
    send: (api, id, _p, authorization) => request(api, 'POST', `/orders/${id}/ship`, authorization),
  },
  {
    route: 'POST /orders/{orderId}/deliver',
    entry: 'functions/orders/deliver-order.ts',
    auth: 'admin',
    send: (api, id, _p, authorization) => request(api, 'POST', `/orders/${id}/deliver`, authorization),
  },
  {
    route: 'GET /admin/orders',
    entry: 'functions/orders/list-orders-by-status.ts',
    auth: 'admin',
    send: (api, _id, _p, authorization) =>
      request(api, 'GET', '/admin/orders?status=pending_payment', authorization),
  },
];

const nowEpoch = () => Math.floor(Date.now() / 1000);

describe('authorization on every orders and payments route, through the local API', () => {
  let backend: LocalBackend;
  let api: string;
  let orders: ReturnType<typeof ordersApi>;
  let admin: Session;
  let owner: Session;
  let stranger: Session;
  let product: Product;
  /** The owner's pending order that every refused request targets. */
  let target: Order;
  let badTokens: Record<string, string>;

  beforeAll(async () => {
    backend = await startTestBackend();
    api = backend.url;
    orders = ordersApi(api);
    const client = accountsApi(api);
    [admin, owner, stranger] = await Promise.all([
      adminSession(backend),
      client.newCustomer('owner'),
      client.newCustomer('stranger'),
    ]);
    product = await orders.createProduct(admin.accessToken, { stock: 100 });
    target = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);

    const settings = tokenSettings(backend);
    const real = await realSigningKey(backend);
    const strangerKey: KeyObject = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    badTokens = {
      'not a JWT': 'Bearer not-a-jwt',
      'a token signed by a key that is not ours': `Bearer ${await signRs256(
        genuineClaims(settings, owner.user.id, { scope: 'admin' }),
        strangerKey,
        { kid: real.kid },
      )}`,
      'an expired token': `Bearer ${await signRs256(
        genuineClaims(settings, owner.user.id, {
          iat: nowEpoch() - 3600,
          nbf: nowEpoch() - 3600,
          exp: nowEpoch() - 60,
        }),
        real.privateKey,
        { kid: real.kid },
      )}`,
      'a token for another audience': `Bearer ${await signRs256(
        genuineClaims(settings, owner.user.id, { aud: 'someone-else' }),
        real.privateKey,
        { kid: real.kid },
      )}`,
      "the stranger's token with the owner's sub and the admin scope pasted in": `Bearer ${withPayload(
        stranger.accessToken,
        { ...payloadOf(stranger.accessToken), sub: owner.user.id, scope: 'admin' },
      )}`,
      'a token in the wrong scheme': `Basic ${Buffer.from('owner:password').toString('base64')}`,
    };
  });

  afterAll(async () => {
    await backend?.stop();
  });

  /** Sends and asserts the gateway refused the request without ever running the route's function. */
  async function expectRefused(spec: OrderRoute, authorization: string | undefined, status: 401 | 403) {
    const invoke = vi.spyOn(functionOf(backend, spec.entry), 'invoke');
    try {
      const res = await spec.send(api, target.id, product.id, authorization);
      expectGatewayRefusal(res, status);
      expect(invoke).not.toHaveBeenCalled();
    } finally {
      invoke.mockRestore();
    }
  }

  describe.each(ROUTES)('$route', (spec) => {
    it('answers a request without a token with 401 from the gateway; the function never runs', async () => {
      await expectRefused(spec, undefined, 401);
    });

    it('answers every kind of bad token with 401 from the gateway; the function never runs', async () => {
      for (const [label, authorization] of Object.entries(badTokens)) {
        await expect(expectRefused(spec, authorization, 401), label).resolves.toBeUndefined();
      }
    });

    if (spec.auth === 'admin') {
      it('answers a customer with 403 from the gateway; the function never runs', async () => {
        await expectRefused(spec, `Bearer ${owner.accessToken}`, 403);
      });
    }
  });

  it('left the target order untouched by all the refused requests', async () => {
    expect(await orders.read(owner.accessToken, target.id)).toEqual(target);
  });

  describe('another customer', () => {
    /** The 404 for an order that does not exist at all, to compare against. */
    const notFoundShape = (res: ApiResponse) => {
      const { detail: _detail, ...rest } = problemWithoutInstance(res);
      return rest;
    };

    it.each([
      ['GET /orders/{orderId}', (token: string, id: string) => orders.get(token, id)],
      ['POST /orders/{orderId}/cancel', (token: string, id: string) => orders.cancel(token, id)],
      [
        'POST /orders/{orderId}/payments',
        (token: string, id: string) => orders.pay(token, id, 'pm_card_visa'),
      ],
    ])(
      "%s on the owner's order gets 404 (not 403), indistinguishable from an order that does not exist",
      async (_route, send) => {
        const res = await send(stranger.accessToken, target.id);
        expectProblem(res, 404);
        const missing = await send(stranger.accessToken, NO_SUCH_ORDER);
        expectProblem(missing, 404);
        expect(notFoundShape(res)).toEqual(notFoundShape(missing));
        expect(String(res.body.detail)).not.toContain(owner.user.id);
        expect(await orders.read(owner.accessToken, target.id)).toEqual(target);
      },
    );

    it("does not see the owner's orders in GET /orders", async () => {
      const own = await orders.placed(stranger.accessToken, [{ productId: product.id, quantity: 1 }]);
      const res = await orders.list(stranger.accessToken);
      expect(res.status).toBe(200);
      expect((res.body.items as Order[]).map((o) => o.id)).toEqual([own.id]);
    });
  });

  describe('the owner', () => {
    it('places an order (201), reads it (200) and finds it in GET /orders (200)', async () => {
      const res = await orders.place(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      expect(res.status).toBe(201);
      expect(orderOf(res).userId).toBe(owner.user.id);
      expect((await orders.get(owner.accessToken, orderOf(res).id)).status).toBe(200);
      const list = await orders.list(owner.accessToken);
      expect(list.status).toBe(200);
      expect((list.body.items as Order[]).map((o) => o.id)).toEqual(
        expect.arrayContaining([orderOf(res).id, target.id]),
      );
    });

    it('pays (200) and cancels (200) an order of its own', async () => {
      const placed = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      const paid = await orders.pay(owner.accessToken, placed.id, 'pm_card_visa');
      expect(paid.status).toBe(200);
      expect(orderOf(paid).status).toBe('paid');
      const cancelled = await orders.cancel(owner.accessToken, placed.id);
      expect(cancelled.status).toBe(200);
      expect(orderOf(cancelled).status).toBe('cancelled');
    });
  });

  describe('an admin', () => {
    it("reads any customer's order (200)", async () => {
      const res = await orders.get(admin.accessToken, target.id);
      expect(res.status).toBe(200);
      expect(orderOf(res)).toEqual(target);
    });

    it('lists orders by status (200)', async () => {
      const res = await orders.adminList(admin.accessToken, 'status=pending_payment&limit=100');
      expect(res.status).toBe(200);
      expect((res.body.items as Order[]).map((o) => o.id)).toContain(target.id);
    });

    it("ships (200) and delivers (200) a customer's paid order", async () => {
      const placed = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      await orders.paid(owner.accessToken, placed.id);
      const shipped = await orders.ship(admin.accessToken, placed.id);
      expect(shipped.status).toBe(200);
      expect(orderOf(shipped).status).toBe('shipped');
      const delivered = await orders.deliver(admin.accessToken, placed.id);
      expect(delivered.status).toBe(200);
      expect(orderOf(delivered).status).toBe('delivered');
    });

    it("cancels a customer's order (200)", async () => {
      const placed = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      const res = await orders.cancel(admin.accessToken, placed.id);
      expect(res.status).toBe(200);
      expect(orderOf(res).status).toBe('cancelled');
    });

    it("cannot pay a customer's order: payments are the owner's (404)", async () => {
      const placed = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      expectProblem(await orders.pay(admin.accessToken, placed.id, 'pm_card_visa'), 404);
      expect((await orders.read(owner.accessToken, placed.id)).payment).toBeUndefined();
    });

    it('answers 404 for ship, deliver and read of an order that does not exist', async () => {
      expectProblem(await orders.ship(admin.accessToken, NO_SUCH_ORDER), 404);
      expectProblem(await orders.deliver(admin.accessToken, NO_SUCH_ORDER), 404);
      expectProblem(await orders.get(admin.accessToken, NO_SUCH_ORDER), 404);
    });
  });
});
