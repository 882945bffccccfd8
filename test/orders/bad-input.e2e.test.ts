import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import {
  type ApiResponse,
  bearer,
  errorPaths,
  expectProblem,
  type Session,
} from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { newKey } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

const NO_SUCH_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
/** Path segments that are not order ids (ULIDs). */
const NOT_ULIDS = [
  'not-an-id',
  '01arz3ndektsv4rrffq69g5fav',
  `${NO_SUCH_ID}X`,
  '01ARZ3NDEKTSV4RRFFQ69G5FAI',
  '%00',
  '1',
];

/** Every answer to bad input: a 4xx problem+json with this status, never a 500, nothing internal. */
function expectClientError(res: ApiResponse, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
  expectProblem(res, status);
}

describe('bad input on every orders and payments route, through the local API', () => {
  const shop = useShop();
  let admin: Session;
  let customer: Session;
  let product: Product;
  let dollars: Product;
  let order: Order;

  beforeAll(async () => {
    [admin, customer] = await shop.adminAnd('fumbler');
    [product, dollars] = await Promise.all([
      shop.orders.createProduct(admin.accessToken, { stock: 50, currency: 'EUR' }),
      shop.orders.createProduct(admin.accessToken, { stock: 50, currency: 'USD' }),
    ]);
    order = await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
  });

  /** POST with a raw body, a token and (unless null) a fresh Idempotency-Key. */
  function post(
    path: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string> = { 'content-type': 'application/json' },
    key: string | null = newKey('bad'),
    token = customer.accessToken,
  ) {
    return call(`${shop.api}${path}`, {
      method: 'POST',
      headers: bearer(token, { ...headers, ...(key === null ? {} : { 'idempotency-key': key }) }),
      body,
    });
  }
  const postJson = (path: string, body: unknown) => post(path, JSON.stringify(body));
  const placeBody = (body: unknown) => postJson('/orders', body);
  const line = (quantity = 1, productId = product.id) => ({ productId, quantity });

  describe('POST /orders and POST /orders/{orderId}/payments: the body', () => {
    const bodies = () => [
      { path: '/orders', valid: { items: [line()] } },
      { path: `/orders/${order.id}/payments`, valid: { paymentMethod: 'pm_card_visa' } },
    ];

    it('answers malformed JSON with a 400 problem', async () => {
      for (const { path } of bodies()) expectClientError(await post(path, '{"items": [ '), 400);
    });

    it('answers a missing body with a 400 problem', async () => {
      for (const { path } of bodies()) expectClientError(await post(path, undefined), 400);
    });

    it.each([['null'], ['[]'], ['"items"'], ['42'], ['true']])(
      'answers the JSON value %s instead of an object with a 400 problem',
      async (raw) => {
        for (const { path } of bodies()) expectClientError(await post(path, raw), 400);
      },
    );

    it('answers a JSON body sent as text/plain with a 415 problem', async () => {
      for (const { path, valid } of bodies()) {
        expectClientError(await post(path, JSON.stringify(valid), { 'content-type': 'text/plain' }), 415);
      }
    });

    it('answers a body that is not UTF-8 with a 400 problem', async () => {
      const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      for (const { path } of bodies()) expectClientError(await post(path, bytes), 400);
    });

    it('answers a body over 16 KiB with a 413 problem, and a 1 MiB one too', async () => {
      for (const { path, valid } of bodies()) {
        expectClientError(await postJson(path, { ...valid, padding: 'x'.repeat(17 * 1024) }), 413);
        expectClientError(await postJson(path, { ...valid, padding: 'x'.repeat(1024 * 1024) }), 413);
      }
    });

    it('answers an unknown top-level field with a 400 problem naming it', async () => {
      for (const { path, valid } of bodies()) {
        const res = await postJson(path, { ...valid, userId: 'someone-else' });
        expectClientError(res, 400);
        expect(errorPaths(res)).toEqual(['body.userId']);
      }
    });

    it('answers an empty object with a 400 problem naming the required field', async () => {
      const [orderRoute, paymentRoute] = bodies();
      const a = await postJson(String(orderRoute?.path), {});
      expectClientError(a, 400);
      expect(errorPaths(a)).toEqual(['body.items']);
      const b = await postJson(String(paymentRoute?.path), {});
      expectClientError(b, 400);
      expect(errorPaths(b)).toEqual(['body.paymentMethod']);
    });

    it('answers a request without an Idempotency-Key with a 400 naming header.idempotency-key', async () => {
      for (const { path, valid } of bodies()) {
        const res = await post(path, JSON.stringify(valid), { 'content-type': 'application/json' }, null);
        expectClientError(res, 400);
        expect(errorPaths(res)).toEqual(['header.idempotency-key']);
      }
    });

    it.each([
      ['too short', 'short'],
      ['too long', 'k'.repeat(256)],
      ['with spaces', 'has some spaces'],
      ['with non-ASCII characters', 'schlüssel-12345'],
    ])('answers an Idempotency-Key %s with a 400 naming header.idempotency-key', async (_label, key) => {
      for (const { path, valid } of bodies()) {
        const res = await call(`${shop.api}${path}`, {
          method: 'POST',
          headers: bearer(customer.accessToken, {
            'content-type': 'application/json',
            'idempotency-key': key,
          }),
          body: JSON.stringify(valid),
        });
        expectClientError(res, 400);
        expect(errorPaths(res)).toEqual(['header.idempotency-key']);
      }
    });
  });

  describe('POST /orders: the lines', () => {
    it.each<[string, unknown, string[]]>([
      ['items that is not an array', { items: 'everything' }, ['body.items']],
      ['a line that is not an object', { items: ['x'] }, ['body.items.0']],
      [
        'a quantity given as a string',
        { items: [{ productId: NO_SUCH_ID, quantity: '1' }] },
        ['body.items.0.quantity'],
      ],
      [
        'a productId given as a number',
        { items: [{ productId: 42, quantity: 1 }] },
        ['body.items.0.productId'],
      ],
      [
        'a fractional quantity',
        { items: [{ productId: NO_SUCH_ID, quantity: 1.5 }] },
        ['body.items.0.quantity'],
      ],
      ['a quantity of 0', { items: [{ productId: NO_SUCH_ID, quantity: 0 }] }, ['body.items.0.quantity']],
      [
        'a negative quantity',
        { items: [{ productId: NO_SUCH_ID, quantity: -3 }] },
        ['body.items.0.quantity'],
      ],
      ['a quantity of 101', { items: [{ productId: NO_SUCH_ID, quantity: 101 }] }, ['body.items.0.quantity']],
      [
        'a quantity of 1e400',
        { items: [{ productId: NO_SUCH_ID, quantity: Number.POSITIVE_INFINITY }] },
        ['body.items.0.quantity'],
      ],
      ['a missing quantity', { items: [{ productId: NO_SUCH_ID }] }, ['body.items.0.quantity']],
      [
        'a productId that is not a ULID',
        { items: [{ productId: 'kettle', quantity: 1 }] },
        ['body.items.0.productId'],
      ],
      [
        'an unknown field on a line',
        { items: [{ productId: NO_SUCH_ID, quantity: 1, unitPrice: 1 }] },
        ['body.items.0.unitPrice'],
      ],
      ['no lines', { items: [] }, ['body.items']],
    ])('answers %s with a 400 problem naming %j', async (_label, body, paths) => {
      const res = await placeBody(body);
      expectClientError(res, 400);
      expect([...new Set(errorPaths(res))]).toEqual(paths);
    });

    it('answers 51 lines with a 400 problem naming body.items', async () => {
      const ids = Array.from({ length: 51 }, (_, i) => `01ARZ3NDEKTSV4RRFFQ69G${String(i).padStart(4, '0')}`);
      const res = await placeBody({ items: ids.map((productId) => ({ productId, quantity: 1 })) });
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['body.items']);
    });

    it('answers the same product on two lines with a 400 problem naming body.items', async () => {
      const res = await placeBody({ items: [line(1), line(2)] });
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['body.items']);
      expect(String((res.body.errors as { message: string }[])[0]?.message)).toMatch(/once/);
    });

    it('answers a quantity of 1e400 sent as raw JSON (Infinity once parsed) with a 400 problem', async () => {
      const res = await post('/orders', `{"items":[{"productId":"${product.id}","quantity":1e400}]}`);
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['body.items.0.quantity']);
    });

    it('answers a price sent by the client with a 400 problem: prices come from the catalog', async () => {
      const res = await placeBody({ items: [line(1)], total: 1 });
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['body.total']);
    });

    it('answers an unknown product with a 422 problem naming its line', async () => {
      const res = await placeBody({ items: [line(1), line(1, NO_SUCH_ID)] });
      expectClientError(res, 422);
      expect(errorPaths(res)).toEqual(['body.items.1.productId']);
    });

    it('answers a deleted product with a 422 problem', async () => {
      const doomed = await shop.orders.createProduct(admin.accessToken, { stock: 5 });
      const removed = await call(`${shop.api}/products/${doomed.id}`, {
        method: 'DELETE',
        headers: bearer(admin.accessToken),
      });
      expect(removed.status).toBe(204);
      const res = await placeBody({ items: [line(1, doomed.id)] });
      expectClientError(res, 422);
      expect(errorPaths(res)).toEqual(['body.items.0.productId']);
    });

    it('answers products in different currencies with a 422 problem and reserves nothing', async () => {
      const before = await Promise.all([shop.orders.stockOf(product.id), shop.orders.stockOf(dollars.id)]);
      const res = await placeBody({ items: [line(1), line(1, dollars.id)] });
      expectClientError(res, 422);
      expect(String(res.body.detail)).toMatch(/currenc/);
      expect(await Promise.all([shop.orders.stockOf(product.id), shop.orders.stockOf(dollars.id)])).toEqual(
        before,
      );
    });

    it('answers more than the stock with a 409 problem naming the line, and reserves nothing', async () => {
      const stock = await shop.orders.stockOf(dollars.id);
      const res = await placeBody({ items: [line(100, dollars.id)] });
      expectClientError(res, 409);
      expect(errorPaths(res)).toEqual(['body.items.0.quantity']);
      expect(await shop.orders.stockOf(dollars.id)).toBe(stock);
    });
  });

  describe('POST /orders/{orderId}/payments: the payment method', () => {
    it.each<[string, unknown]>([
      ['a number', 4242],
      ['null', null],
      ['an object', { id: 'pm_card_visa' }],
      ['an empty string', ''],
      ['101 characters', `pm_${'x'.repeat(98)}`],
      ['characters outside [A-Za-z0-9_]', 'pm_card_visa; DROP TABLE'],
    ])(
      'answers %s with a 400 problem naming body.paymentMethod, and the order stays unpaid',
      async (_l, value) => {
        const res = await postJson(`/orders/${order.id}/payments`, { paymentMethod: value });
        expectClientError(res, 400);
        expect([...new Set(errorPaths(res))]).toEqual(['body.paymentMethod']);
        const current = await shop.orders.read(customer.accessToken, order.id);
        expect(current.status).toBe('pending_payment');
        expect(current.payment).toBeUndefined();
      },
    );

    it('answers an unknown payment method without a 5xx', async () => {
      const placed = await shop.orders.placed(customer.accessToken, [line(1)]);
      const res = await shop.orders.pay(customer.accessToken, placed.id, 'pm_card_doesNotExist');
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      expect((await shop.orders.read(customer.accessToken, placed.id)).status).toBe('pending_payment');
    });
  });

  describe('order ids in paths', () => {
    const routes: readonly [string, string, (id: string) => Promise<ApiResponse>][] = [
      ['GET', '/orders/{orderId}', (id) => shop.orders.get(customer.accessToken, id)],
      ['POST', '/orders/{orderId}/cancel', (id) => shop.orders.cancel(customer.accessToken, id)],
      [
        'POST',
        '/orders/{orderId}/payments',
        (id) => shop.orders.pay(customer.accessToken, id, 'pm_card_visa'),
      ],
      ['POST', '/orders/{orderId}/ship', (id) => shop.orders.ship(admin.accessToken, id)],
      ['POST', '/orders/{orderId}/deliver', (id) => shop.orders.deliver(admin.accessToken, id)],
    ];

    it.each(routes)(
      '%s %s answers ids that are not ULIDs with a 4xx problem, never a 500',
      async (_m, _p, send) => {
        for (const id of NOT_ULIDS) {
          const res = await send(id);
          expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
          expect(res.status, id).toBeLessThan(500);
          expect(res.contentType, id).toBe('application/problem+json');
        }
        const res = await send('not-an-id');
        expectClientError(res, 400);
        expect(errorPaths(res)).toEqual(['path.orderId']);
      },
    );

    it.each(routes)('%s %s answers an order that does not exist with a 404 problem', async (_m, _p, send) => {
      expectClientError(await send(NO_SUCH_ID), 404);
    });
  });

  describe('GET /orders and GET /admin/orders: the query', () => {
    const lists: readonly [string, (query: string) => Promise<ApiResponse>][] = [
      ['GET /orders', (query) => shop.orders.list(customer.accessToken, query)],
      [
        'GET /admin/orders',
        (query) => shop.orders.adminList(admin.accessToken, `status=pending_payment&${query}`),
      ],
    ];

    it.each(lists)(
      '%s answers limits out of range or not integers with a 400 naming query.limit',
      async (_r, list) => {
        for (const limit of ['0', '101', '-1', '1.5', 'ten', '']) {
          const res = await list(`limit=${limit}`);
          expectClientError(res, 400);
          expect(errorPaths(res), `limit=${limit}`).toEqual(['query.limit']);
        }
      },
    );

    it.each(lists)(
      '%s answers a cursor that is garbage, tampered or too long with a 400 naming query.cursor',
      async (_r, list) => {
        const first = await list('limit=1');
        expect(first.status).toBe(200);
        const real = String(first.body.nextCursor);
        const [payload = '', mac = ''] = real.split('.');
        const forged = `${Buffer.from(JSON.stringify({ id: NO_SUCH_ID })).toString('base64url')}.${mac}`;
        for (const cursor of [
          'garbage',
          `${payload}.`,
          `${payload}.${mac}x`,
          forged,
          'a'.repeat(2000),
          `${real}.${mac}`,
        ]) {
          const res = await list(`limit=1&cursor=${encodeURIComponent(cursor)}`);
          expectClientError(res, 400);
          expect(errorPaths(res), cursor).toEqual(['query.cursor']);
        }
      },
    );

    it('GET /orders answers an unknown query parameter with a 400 naming it', async () => {
      const res = await shop.orders.list(customer.accessToken, 'userId=someone');
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['query.userId']);
    });

    it('GET /admin/orders answers an unknown or missing status with a 400 naming query.status', async () => {
      for (const query of ['status=lost', 'status=PAID', 'status=', 'limit=5']) {
        const res = await shop.orders.adminList(admin.accessToken, query);
        expectClientError(res, 400);
        expect(errorPaths(res), query).toEqual(['query.status']);
      }
    });

    it("GET /admin/orders refuses one status's cursor in another status's listing", async () => {
      const placedAgain = await shop.orders.placed(customer.accessToken, [line(1)]);
      expect(placedAgain.status).toBe('pending_payment');
      const first = await shop.orders.adminList(admin.accessToken, 'status=pending_payment&limit=1');
      const cursor = String(first.body.nextCursor);
      const res = await shop.orders.adminList(
        admin.accessToken,
        `status=paid&limit=1&cursor=${encodeURIComponent(cursor)}`,
      );
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['query.cursor']);
    });
  });

  describe('POST /webhooks/payments', () => {
    it('answers an empty body, a huge signature header and a form body with 400 problems, never a 500', async () => {
      const webhook = (body: string | undefined, headers: Record<string, string>) =>
        call(`${shop.api}/webhooks/payments`, { method: 'POST', headers, body });
      expectClientError(await webhook(undefined, {}), 400);
      expectClientError(
        await webhook('{}', {
          'content-type': 'application/json',
          'stripe-signature': `t=1,v1=${'a'.repeat(10_000)}`,
        }),
        400,
      );
      expectClientError(await webhook('a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 400);
    });
  });

  it('left the customer’s first order and the stock exactly as they were', async () => {
    expect(await shop.orders.read(customer.accessToken, order.id)).toEqual(order);
  });
});
