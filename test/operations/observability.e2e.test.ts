import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, environmentConfig } from '../../lib/config/environments.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { GOOD_PASSWORD, type Session, uniqueEmail } from '../support/accounts-api.ts';
import { logCollector, valuesOf } from '../support/function-logs.ts';
import { call, startTestBackend } from '../support/local-api.ts';
import { paymentEvent, signedHeaders } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

describe('observability through the local backend', () => {
  const logs = logCollector();
  const shop = useShop({ log: logs.log });
  let admin: Session;
  let buyer: Session;

  beforeAll(async () => {
    [admin, buyer] = await shop.adminAnd('metrics');
  });

  describe('the request id', () => {
    it('is on every answer as x-request-id, the same id as API Gateway’s apigw-requestid', async () => {
      const res = await call(`${shop.api}/products?limit=1`);
      expect(res.status).toBe(200);
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('apigw-requestid')).toBe(id);
    });

    it('is on error answers too, and is the problem’s instance', async () => {
      const res = await call(`${shop.api}/products?limit=0`);
      expect(res.status).toBe(400);
      expect(res.contentType).toBe('application/problem+json');
      expect(res.headers.get('x-request-id')).toBe(res.body.instance);
    });

    it('is in every log line the function writes while serving that request', async () => {
      const mark = logs.mark();
      const res = await shop.orders.place(buyer.accessToken, [
        { productId: '01KDVDNA00AA3S80T672BC3QYS', quantity: 0 },
      ]);
      expect(res.status).toBe(400);
      const id = res.headers.get('x-request-id');
      const written = () =>
        logs
          .functionLines(mark)
          .filter((line) => line.logicalId.startsWith('OrdersCreateOrder') && line.json?.level !== undefined);
      // Function output reaches the log a moment after the answer, as in CloudWatch.
      await expect.poll(() => written().length).toBeGreaterThan(0);
      for (const line of written()) expect(line.json?.requestId, line.raw).toBe(id);
    });

    it('is on API Gateway’s own answers (an authorizer refusal) as apigw-requestid', async () => {
      const res = await call(`${shop.api}/me`);
      expect(res.status).toBe(401);
      expect(res.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('metrics (EMF lines in the functions’ output)', () => {
    it('counts a placed order as OrderPlaced in the environment’s namespace, with the service dimension', async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 5, price: 1200 });
      const mark = logs.mark();
      await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const placed = () => logs.metrics(mark).filter((metric) => metric.name === 'OrderPlaced');
      await expect.poll(placed).toEqual([
        expect.objectContaining({
          namespace: 'Shop/local',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'shop' },
        }),
      ]);
      expect(placed()[0]?.logicalId.startsWith('OrdersCreateOrder')).toBe(true);
    });

    it('records a paid order as OrderPaid with the total as value and the currency as dimension', async () => {
      const product = await shop.orders.createProduct(admin.accessToken, {
        stock: 5,
        price: 2500,
        currency: 'EUR',
      });
      const order = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 2 }]);
      const mark = logs.mark();
      await shop.orders.paid(buyer.accessToken, order.id);
      const paid = () => logs.metrics(mark).filter((metric) => metric.name === 'OrderPaid');
      await expect
        .poll(paid)
        .toEqual([
          expect.objectContaining({ value: 5000, dimensions: { service: 'shop', currency: 'EUR' } }),
        ]);
    });

    it('counts a declined card once as PaymentDeclined, though the webhook and the charge both see it', async () => {
      const product = await shop.orders.createProduct(admin.accessToken, { stock: 5 });
      const order = await shop.orders.placed(buyer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const mark = logs.mark();
      const res = await shop.orders.pay(buyer.accessToken, order.id, 'pm_card_chargeDeclined');
      expect(res.status).toBe(200);
      await logs.quiet();
      expect(valuesOf(logs.metrics(mark), 'PaymentDeclined')).toEqual([1]);
    });

    it('counts a webhook delivery with a bad signature as WebhookSignatureRejected', async () => {
      const event = paymentEvent(
        { id: '01KDVDNA00AA3S80T672BC3QYS', total: 100, currency: 'EUR' },
        'pi_x',
        'payment_intent.succeeded',
      );
      const mark = logs.mark();
      const res = await shop.orders.webhook(event.body, signedHeaders(event.body, 'not-the-secret'));
      expect(res.status).toBe(400);
      await expect.poll(() => valuesOf(logs.metrics(mark), 'WebhookSignatureRejected')).toEqual([1]);
    });

    it('counts sign-ins refused for too many failures as LoginThrottled', async () => {
      const accounts = shop.accounts;
      const email = uniqueEmail('throttled');
      await accounts.register({ email, password: GOOD_PASSWORD, displayName: 'Throttled' });
      for (let i = 0; i < 5; i++) expect((await accounts.login(email, 'wrong password!')).status).toBe(401);
      const mark = logs.mark();
      expect((await accounts.login(email, 'wrong password!')).status).toBe(429);
      await expect.poll(() => valuesOf(logs.metrics(mark), 'LoginThrottled')).toEqual([1]);
    });

    it('counts a sent message as MessageSent, and not its replay', async () => {
      const messages = shop.messages;
      const other = await shop.accounts.newCustomer('other');
      const conversation = await messages.started(buyer.accessToken, { participantId: other.user.id });
      const mark = logs.mark();
      await messages.sent(buyer.accessToken, conversation.id, 'hello', 'client-message-1');
      await messages.sent(buyer.accessToken, conversation.id, 'hello', 'client-message-1');
      await logs.quiet();
      expect(valuesOf(logs.metrics(mark), 'MessageSent')).toEqual([1]);
    });

    it('writes ColdStart once per execution environment, named after the function', async () => {
      const metrics = logs
        .metrics(0)
        .filter((metric) => metric.name === 'ColdStart' && metric.logicalId.startsWith('OrdersCreateOrder'));
      expect(metrics).toEqual([
        expect.objectContaining({
          namespace: 'Shop/local',
          value: 1,
          dimensions: { service: 'shop', function_name: 'OrdersCreateOrder' },
        }),
      ]);
    });
  });

  describe('configuration checked at cold start', () => {
    // One cold init per function, one after the other: about 80 processes, so more than the
    // default 30 s on a loaded 2-core machine (it timed out there as the app grew).
    it('every function of the app initializes with the environment its template gives it', {
      timeout: 240_000,
    }, async () => {
      const failures: string[] = [];
      for (const [logicalId, fn] of shop.backend.functions) {
        const init = await fn.initialize();
        if (!init.ok) failures.push(`${logicalId}: ${init.error.errorType}: ${init.error.errorMessage}`);
      }
      expect(failures).toEqual([]);
    });
  });
});

describe('a function whose configuration is wrong', () => {
  const logs = logCollector();
  let backend: ShopBackend;

  beforeAll(async () => {
    // As if a deployment had dropped the table name and mangled the payment window.
    backend = await startTestBackend(
      { TABLE_NAME: '', ORDER_PAYMENT_WINDOW_MINUTES: 'soon' },
      { log: logs.log },
    );
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it('fails its init, and API Gateway answers its bare 500, not a problem body', async () => {
    const res = await call(`${backend.url}/products?limit=1`);
    expect(res.status).toBe(500);
    expect(res.contentType).toBe('application/json');
    expect(res.body).toEqual({ message: 'Internal Server Error' });
    expect(res.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names every bad variable in one init error, and the platform reports the init as failed', async () => {
    const mark = logs.mark();
    const res = await call(`${backend.url}/products?limit=1`);
    expect(res.status).toBe(500);
    const lines = () =>
      logs.functionLines(mark).filter((line) => line.logicalId.startsWith('CatalogListProducts'));
    await expect.poll(() => lines().some((line) => line.json?.type === 'platform.initReport')).toBe(true);
    const uncaught = lines().find((line) => line.json?.message === 'Uncaught Exception')?.json;
    expect(uncaught).toMatchObject({
      level: 'ERROR',
      errorType: 'ConfigurationError',
      errorMessage: 'Configuration error: TABLE_NAME is not set.',
    });
    const report = lines().find((line) => line.json?.type === 'platform.initReport')?.json;
    expect(report).toMatchObject({
      record: { phase: 'init', status: 'error', errorType: 'ConfigurationError' },
    });
  });

  it('names a malformed value and what was expected', async () => {
    const init = await [...backend.functions.entries()]
      .find(([id]) => id.startsWith('OrdersCreateOrder'))?.[1]
      .initialize();
    expect(init).toMatchObject({
      ok: false,
      error: {
        errorType: 'ConfigurationError',
        errorMessage:
          "Configuration error: ORDER_PAYMENT_WINDOW_MINUTES is 'soon', expected a number above 0; TABLE_NAME is not set.",
      },
    });
  });

  it('fails every cold start again (a fresh environment each time), while functions without the variable serve', async () => {
    expect((await call(`${backend.url}/products?limit=1`)).status).toBe(500);
    expect((await call(`${backend.url}/products?limit=1`)).status).toBe(500);
    expect((await call(`${backend.url}/health`)).status).toBe(200);
  });
});

describe('CORS per environment, through the emulator', () => {
  const shop = useShop();

  const allowed = 'http://localhost:5173';
  const disallowed = 'https://evil.example.com';

  it('answers an allowed origin’s preflight and exposes x-request-id to its scripts', async () => {
    const preflight = await fetch(`${shop.api}/orders`, {
      method: 'OPTIONS',
      headers: { origin: allowed, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
    const res = await fetch(`${shop.api}/health`, { headers: { origin: allowed } });
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('access-control-expose-headers')?.split(',')).toContain('x-request-id');
  });

  it('gives a disallowed origin no CORS headers at all, on the preflight nor on the answer', async () => {
    const preflight = await fetch(`${shop.api}/orders`, {
      method: 'OPTIONS',
      headers: { origin: disallowed, 'access-control-request-method': 'POST' },
    });
    const res = await fetch(`${shop.api}/health`, { headers: { origin: disallowed } });
    for (const answer of [preflight, res]) {
      const cors = [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'));
      expect(cors).toEqual([]);
    }
    // The request itself is served: CORS is the browser's rule, not an access control.
    expect(res.status).toBe(200);
  });

  it.each(
    ENVIRONMENT_NAMES.filter((name) => name !== 'local').flatMap((name) =>
      environmentConfig(name)
        .corsOrigins.filter((origin) => !environmentConfig('local').corsOrigins.includes(origin))
        .map((origin) => ({ name, origin })),
    ),
  )('treats $origin, an origin of $name only, as disallowed locally', async ({ origin }) => {
    const preflight = await fetch(`${shop.api}/me`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    const res = await fetch(`${shop.api}/products?limit=1`, { headers: { origin } });
    await res.text();
    for (const answer of [preflight, res]) {
      expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});
