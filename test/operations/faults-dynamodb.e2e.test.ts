import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { RETRY_AFTER_SECONDS } from '../../functions/core/errors.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { accountsApi, expectProblem, type Session } from '../support/accounts-api.ts';
import { startTestBackend } from '../support/local-api.ts';
import { adminSession, newKey, orderOf, ordersApi } from '../support/orders-api.ts';
import { tableReader } from '../support/table-items.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * DynamoDB failing under the functions. The functions reach the run's DynamoDB Local through a
 * TCP proxy the test controls (their AWS_ENDPOINT_URL_DYNAMODB points at it), so "DynamoDB is
 * down" is what a function really sees of an outage, connections refused and reset, while the
 * data behind it survives, as a real table's would. The test itself reads the table directly.
 */
describe('DynamoDB unreachable or slow, end to end', () => {
  let proxy: TcpProxy;
  let backend: ShopBackend;
  let orders: ReturnType<typeof ordersApi>;
  let admin: Session;
  let buyer: Session;

  beforeAll(async () => {
    proxy = await startTcpProxy(inject('dynamodbEndpoint'));
    backend = await startTestBackend({ AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
    orders = ordersApi(backend.url);
    admin = await adminSession(backend);
  });

  afterEach(async () => {
    proxy.delayMs = 0;
    proxy.hooks = {};
    await proxy.restore();
  });

  afterAll(async () => {
    await backend?.stop();
    await proxy?.stop();
  });

  /** A new customer with no orders yet, so "the orders of this buyer" is exactly what a test placed. */
  const freshBuyer = async () => {
    buyer = await accountsApi(backend.url).newCustomer('faults-db');
    return buyer;
  };

  const expectUnavailable = (res: Awaited<ReturnType<typeof orders.place>>) => {
    expectProblem(res, 503);
    expect(res.body.type).toBe('/problems/service-unavailable');
    expect(res.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
  };

  /** The buyer's orders as the API lists them (first page, enough for these tests). */
  const ordersOf = async (session: Session) => {
    const res = await orders.list(session.accessToken, 'limit=50');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items as { id: string }[];
  };

  it('answers reads and writes with 503 problem+json and Retry-After while DynamoDB is unreachable, then serves again', async () => {
    const product = await orders.createProduct(admin.accessToken, { stock: 5 });
    const session = await freshBuyer();
    await proxy.cut();

    expectUnavailable(await orders.product(product.id));
    expectUnavailable(await orders.list(session.accessToken));
    expectUnavailable(await orders.place(session.accessToken, [{ productId: product.id, quantity: 1 }]));

    await proxy.restore();
    expect(await orders.stockOf(product.id)).toBe(5);
    expect(await ordersOf(session)).toEqual([]);
  });

  it('leaves no trace of an order refused during the outage, and the same Idempotency-Key places it once afterwards', async () => {
    const product = await orders.createProduct(admin.accessToken, { stock: 5 });
    const session = await freshBuyer();
    const key = newKey('outage');
    await proxy.cut();
    expectUnavailable(await orders.place(session.accessToken, [{ productId: product.id, quantity: 2 }], key));
    await proxy.restore();

    expect(await tableReader(backend).itemsMentioning(key)).toEqual([]);
    expect(await orders.stockOf(product.id)).toBe(5);

    const placed = await orders.place(session.accessToken, [{ productId: product.id, quantity: 2 }], key);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(await orders.stockOf(product.id)).toBe(3);
    expect((await ordersOf(session)).map((o) => o.id)).toEqual([orderOf(placed).id]);
  });

  it('keeps an order whose answer was lost in the outage whole (order, stock, key); the same key returns it, never a second one', async () => {
    const product = await orders.createProduct(admin.accessToken, { stock: 5 });
    const session = await freshBuyer();
    const key = newKey('lost-answer');
    // DynamoDB commits the order's transaction, then goes away before the function hears back.
    let cutAfterCommit = true;
    proxy.hooks = {
      response: (target) => {
        if (!cutAfterCommit || !target.endsWith('.TransactWriteItems')) return 'forward';
        cutAfterCommit = false;
        void proxy.cut();
        return 'drop';
      },
    };
    expectUnavailable(await orders.place(session.accessToken, [{ productId: product.id, quantity: 2 }], key));
    await proxy.restore();

    // Whole: the order exists, its stock is reserved, and the key is claimed for it.
    const [order] = await ordersOf(session);
    expect(order).toBeDefined();
    expect(await orders.stockOf(product.id)).toBe(3);
    expect(
      (await tableReader(backend).itemsMentioning(key)).filter((item) => item.entity === 'idempotency'),
    ).toHaveLength(1);

    const retried = await orders.place(session.accessToken, [{ productId: product.id, quantity: 2 }], key);
    expect([200, 201], JSON.stringify(retried.body)).toContain(retried.status);
    expect(orderOf(retried).id).toBe(order?.id);
    expect(await orders.stockOf(product.id)).toBe(3);
    expect(await ordersOf(session)).toHaveLength(1);
  });

  it('answers 503 problem+json, before the function’s timeout, when DynamoDB answers slower than the SDK waits', async () => {
    const product = await orders.createProduct(admin.accessToken, { stock: 5 });
    // Longer than one attempt's request timeout (2.5 s): every attempt times out.
    proxy.delayMs = 4_000;
    const res = await orders.product(product.id);
    // A function past its timeout would get API Gateway's bare answer instead of a problem.
    expectUnavailable(res);
    proxy.delayMs = 0;
    expect(await orders.stockOf(product.id)).toBe(5);
  });
});
