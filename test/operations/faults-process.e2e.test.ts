import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalFunction } from '../../lib/local/lambda/function.ts';
import { accountsApi, type Session } from '../support/accounts-api.ts';
import { messagesApi } from '../support/messages-api.ts';
import {
  intentsFor,
  newKey,
  orderOf,
  reconcileOnce,
  type StripeBackend,
  startStripeBackend,
} from '../support/orders-api.ts';
import { tableReader } from '../support/table-items.ts';
import { startTcpProxy, type TcpProxy, type Verdict } from '../support/tcp-proxy.ts';

/** The functions whose DynamoDB traffic goes through the proxy, where the test picks the moment to kill them. */
const CRASHABLE = ['OrdersCreateOrder', 'PaymentsCreatePayment', 'MessagesSendMessage'] as const;
type Crashable = (typeof CRASHABLE)[number];
const WRITES = /\.(TransactWriteItems|UpdateItem|PutItem)$/;

/**
 * A function's process dying mid-request (out of memory, the host gone): the local runtime kills
 * the worker thread of its execution environment at a chosen DynamoDB call, before the request
 * reaches DynamoDB or after DynamoDB committed it but before the function hears back. Every
 * effect is one transaction, so what is left is all of it or none of it, and the client's retry
 * with the same key completes it exactly once. The client sees what API Gateway's HTTP API
 * answers for a crashed Lambda: a bare 500 `{"message":"Internal Server Error"}`, the one 500
 * allowed, since it is the gateway's, not ours.
 */
describe('a function killed mid-request, end to end', () => {
  let proxy: TcpProxy;
  let fixture: StripeBackend;
  let buyer: Session;

  beforeAll(async () => {
    proxy = await startTcpProxy(inject('dynamodbEndpoint'));
    fixture = await startStripeBackend('faults-process', {
      // Reconciliation asks about any unknown attempt at once (deployed: after 5 minutes).
      environment: { PAYMENT_RECONCILE_AFTER_SECONDS: '0' },
      functionEnvironment: (logicalId): Record<string, string> =>
        CRASHABLE.some((name) => logicalId.startsWith(name))
          ? { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint }
          : {},
    });
    buyer = fixture.buyer;
  });

  afterEach(() => {
    proxy.hooks = {};
  });

  afterAll(async () => {
    await fixture?.stop();
    await proxy?.stop();
  });

  const fn = (name: Crashable): LocalFunction => {
    const found = [...fixture.backend.functions.values()].find((f) => f.spec.logicalId.startsWith(name));
    if (!found) throw new Error(`No function ${name} in the backend.`);
    return found;
  };

  /**
   * Kills `name`'s busy environment at the first exchange with DynamoDB that `when` picks: at its
   * request (nothing reaches DynamoDB) or at its response (DynamoDB committed; the answer is lost).
   * Resolves, once it happened, with how many environments were killed.
   */
  function crashAt(
    phase: 'request' | 'response',
    name: Crashable,
    when: (target: string) => boolean,
  ): Promise<number> {
    return new Promise((resolve) => {
      let armed = true;
      const hook = async (target: string): Promise<Verdict> => {
        if (!armed || !when(target)) return 'forward';
        armed = false;
        resolve(await fn(name).crashBusy());
        return 'drop';
      };
      proxy.hooks = { [phase]: hook };
    });
  }

  const expectGatewayCrash = (res: { status: number; contentType: string; body: unknown }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(500);
    expect(res.contentType).toBe('application/json');
    expect(res.body).toEqual({ message: 'Internal Server Error' });
  };

  const aProduct = () => fixture.orders.createProduct(fixture.admin.accessToken, { stock: 5, price: 1200 });
  const ordersOf = async () => {
    const res = await fixture.orders.list(buyer.accessToken, 'limit=50');
    expect(res.status).toBe(200);
    return (res.body.items as { id: string }[]).map((order) => order.id);
  };
  const chargesFor = (orderId: string) => intentsFor(fixture.stripe, orderId);

  describe('POST /orders', () => {
    it('killed before its transaction reaches DynamoDB leaves nothing; the same key then places the order once', async () => {
      const product = await aProduct();
      const before = await ordersOf();
      const key = newKey('crash-before');
      const killed = crashAt('request', 'OrdersCreateOrder', (target) =>
        target.endsWith('.TransactWriteItems'),
      );
      const items = [{ productId: product.id, quantity: 2 }];

      expectGatewayCrash(await fixture.orders.place(buyer.accessToken, items, key));
      expect(await killed).toBe(1);
      expect(await tableReader(fixture.backend).itemsMentioning(key)).toEqual([]);
      expect(await fixture.orders.stockOf(product.id)).toBe(5);
      expect(await ordersOf()).toEqual(before);

      const placed = await fixture.orders.place(buyer.accessToken, items, key);
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect(await fixture.orders.stockOf(product.id)).toBe(3);
      const after = await ordersOf();
      expect(after.filter((id) => !before.includes(id))).toEqual([orderOf(placed).id]);
    });

    it('killed after DynamoDB committed leaves the whole order (stock reserved, key claimed); the same key answers it, never a second', async () => {
      const product = await aProduct();
      const before = await ordersOf();
      const key = newKey('crash-after');
      const killed = crashAt('response', 'OrdersCreateOrder', (target) =>
        target.endsWith('.TransactWriteItems'),
      );
      const items = [{ productId: product.id, quantity: 2 }];

      expectGatewayCrash(await fixture.orders.place(buyer.accessToken, items, key));
      expect(await killed).toBe(1);
      const after = await ordersOf();
      const created = after.filter((id) => !before.includes(id));
      expect(created).toHaveLength(1);
      expect(await fixture.orders.stockOf(product.id)).toBe(3);
      expect(
        (await tableReader(fixture.backend).itemsMentioning(key)).filter(
          (item) => item.entity === 'idempotency',
        ),
      ).toHaveLength(1);

      const retried = await fixture.orders.place(buyer.accessToken, items, key);
      expect([200, 201], JSON.stringify(retried.body)).toContain(retried.status);
      expect(orderOf(retried).id).toBe(created[0]);
      expect(await fixture.orders.stockOf(product.id)).toBe(3);
      expect(await ordersOf()).toEqual(after);
    });
  });

  describe('POST /orders/{id}/payments', () => {
    it('killed after the attempt was claimed but before the charge: no money moved; reconciliation fails the attempt and the order is paid once by a new one', async () => {
      const product = await aProduct();
      const order = await fixture.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const key = newKey('pay-crash-claim');
      const killed = crashAt('response', 'PaymentsCreatePayment', (target) =>
        target.endsWith('.TransactWriteItems'),
      );

      expectGatewayCrash(await fixture.orders.pay(buyer.accessToken, order.id, 'pm_card_visa', key));
      expect(await killed).toBe(1);
      expect(chargesFor(order.id)).toEqual([]);
      // The same key answers the attempt as it stands: claimed, no charge made, nothing new sent.
      const replay = await fixture.orders.pay(buyer.accessToken, order.id, 'pm_card_visa', key);
      expect(replay.status, JSON.stringify(replay.body)).toBe(200);
      expect(orderOf(replay)).toMatchObject({
        status: 'pending_payment',
        payment: { attempt: 1, status: 'processing' },
      });
      expect(chargesFor(order.id)).toEqual([]);

      await reconcileOnce(fixture.backend);
      expect((await fixture.orders.read(buyer.accessToken, order.id)).payment).toMatchObject({
        attempt: 1,
        status: 'failed',
      });
      const paid = await fixture.orders.pay(buyer.accessToken, order.id, 'pm_card_visa');
      expect(paid.status, JSON.stringify(paid.body)).toBe(200);
      expect(orderOf(paid)).toMatchObject({ status: 'paid', payment: { attempt: 2 } });
      expect(chargesFor(order.id)).toHaveLength(1);
    });

    it('killed after Stripe charged but before the outcome was written: the order settles as paid by reconciliation, with one charge', async () => {
      const product = await aProduct();
      const order = await fixture.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const key = newKey('pay-crash-charged');
      const killed = crashAt(
        'request',
        'PaymentsCreatePayment',
        (target) => WRITES.test(target) && chargesFor(order.id).length > 0,
      );

      expectGatewayCrash(await fixture.orders.pay(buyer.accessToken, order.id, 'pm_card_visa', key));
      expect(await killed).toBe(1);
      expect(chargesFor(order.id)).toHaveLength(1);
      const replay = await fixture.orders.pay(buyer.accessToken, order.id, 'pm_card_visa', key);
      expect(replay.status, JSON.stringify(replay.body)).toBe(200);
      expect(chargesFor(order.id)).toHaveLength(1);

      await reconcileOnce(fixture.backend);
      expect(await fixture.orders.read(buyer.accessToken, order.id)).toMatchObject({ status: 'paid' });
      expect(chargesFor(order.id)).toHaveLength(1);
    });
  });

  describe('POST /conversations/{id}/messages', () => {
    it('killed after DynamoDB committed the message: it is there once, and the retry with its clientMessageId answers it', async () => {
      const messages = messagesApi(fixture.backend.url);
      const other = await accountsApi(fixture.backend.url).newCustomer('faults-peer');
      const conversation = await messages.started(buyer.accessToken, { participantId: other.user.id });
      const clientMessageId = newKey('msg');
      const killed = crashAt('response', 'MessagesSendMessage', (target) =>
        target.endsWith('.TransactWriteItems'),
      );

      const body = { body: 'Is it still in stock?', clientMessageId };
      expectGatewayCrash(await messages.send(buyer.accessToken, conversation.id, body));
      expect(await killed).toBe(1);
      const stored = await messages.allMessages(other.accessToken, conversation.id);
      expect(stored.map((message) => message.body)).toEqual(['Is it still in stock?']);

      const retried = await messages.send(buyer.accessToken, conversation.id, body);
      expect(retried.status, JSON.stringify(retried.body)).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body.id).toBe(stored[0]?.id);
      expect(await messages.allMessages(other.accessToken, conversation.id)).toHaveLength(1);
    });
  });
});
