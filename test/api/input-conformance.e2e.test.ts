import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition, routeKey } from '../../lib/api/routes.ts';
import { send } from '../../lib/fuzz/runner.ts';
import { LENIENT_INTEGERS as FUZZ_LENIENT_INTEGERS } from '../../lib/fuzz/schema.ts';
import { bearer, type Session } from '../support/accounts-api.ts';
import { assertContract, DOCUMENT } from '../support/contract.ts';
import { call } from '../support/local-api.ts';
import { adminSession } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

/*
 * What an outside conformance test (issue 19) found the API accepting although the document
 * and the README say otherwise: bodies on routes that take none, and integers in the query
 * spelled in ways that are not plain decimal digits. Both are checked on every route the route
 * table has, so a new route is covered without a new test.
 */

interface DocumentedParameter {
  readonly name: string;
  readonly in: string;
  readonly schema: { readonly type?: string };
  readonly example?: unknown;
}

const parametersOf = (route: RouteDefinition): DocumentedParameter[] =>
  ((
    DOCUMENT.paths[route.path]?.[route.method.toLowerCase()] as unknown as {
      parameters?: DocumentedParameter[];
    }
  )?.parameters ?? []) as DocumentedParameter[];

/** The route's path with its documented example ids (well-shaped; they need not exist). */
const examplePath = (route: RouteDefinition): string =>
  route.path.replace(/\{(\w+)\}/g, (_match, name: string) =>
    encodeURIComponent(String(parametersOf(route).find((p) => p.name === name)?.example ?? name)),
  );

const BODYLESS = ROUTES.filter((route) => !route.request?.body);
const QUERY_INTEGERS = ROUTES.flatMap((route) =>
  parametersOf(route)
    .filter((p) => p.in === 'query' && p.schema.type === 'integer')
    .map((p) => [routeKey(route), p.name, route] as const),
);
/** Spellings `Number()` reads as a number that are not plain decimal digits. */
const LENIENT_INTEGERS = [...FUZZ_LENIENT_INTEGERS, '10.0', '0b11'];

describe('input the document does not allow, on every route, through the local API', () => {
  const shop = useShop();
  let customer: Session;
  /** Sends the DELETEs of user routes (`DELETE /me` would erase the account if it ran). */
  let bystander: Session;
  let admin: Session;

  beforeAll(async () => {
    [customer, bystander, admin] = await Promise.all([
      shop.accounts.newCustomer('conformance'),
      shop.accounts.newCustomer('conformance-deletes'),
      adminSession(shop.backend),
    ]);
  });

  const tokenFor = (route: RouteDefinition) =>
    route.auth === 'admin'
      ? admin.accessToken
      : route.auth === 'user'
        ? (route.method === 'DELETE' ? bystander : customer).accessToken
        : undefined;

  /** Sends any method with any body (fetch refuses a body on GET), holding the answer to the document. */
  async function sendRaw(method: string, path: string, headers: Record<string, string>, body?: Buffer) {
    const response = await send(
      shop.api,
      {
        operationId: 'test',
        method,
        path,
        headers: Object.entries(headers),
        ...(body ? { body } : {}),
        notes: [],
      },
      30_000,
    );
    expect(response.error).toBeUndefined();
    assertContract({
      method,
      url: `${shop.api}${path}`,
      ...response,
      request: { headers, ...(body ? { body } : {}) },
    });
    return { ...response, body: response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {} };
  }

  describe('a route that takes no body refuses one with 413 payload-too-large, before anything else', () => {
    it.each(BODYLESS.map((route) => [routeKey(route), route] as const))('%s', async (_key, route) => {
      const token = tokenFor(route);
      const res = await sendRaw(
        route.method,
        examplePath(route),
        { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
        Buffer.from('{}'),
      );
      expect(res.status, res.text).toBe(413);
      expect(res.contentType).toBe('application/problem+json');
      expect(res.body.type).toBe('/problems/payload-too-large');
    });

    it('refuses a 1 MB body on POST /orders/{id}/cancel, /ship, /deliver and POST /users/{id}/block, and changes nothing', async () => {
      const orders = shop.orders;
      const product = await orders.createProduct(admin.accessToken, { stock: 3 });
      const order = await orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }]);
      const megabyte = Buffer.from(JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
      const other = await shop.accounts.newCustomer('conformance-other');
      for (const [path, token] of [
        [`/orders/${order.id}/cancel`, customer.accessToken],
        [`/orders/${order.id}/ship`, admin.accessToken],
        [`/orders/${order.id}/deliver`, admin.accessToken],
        [`/users/${other.user.id}/block`, customer.accessToken],
        ['/me', customer.accessToken],
      ] as const) {
        const method = path === '/me' ? 'DELETE' : 'POST';
        const res = await sendRaw(
          method,
          path,
          bearer(token, { 'content-type': 'application/json' }),
          megabyte,
        );
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(413);
      }
      expect((await orders.read(customer.accessToken, order.id)).status).toBe('pending_payment');
      expect(await orders.stockOf(product.id)).toBe(2);
      expect((await call(`${shop.api}/me`, { headers: bearer(customer.accessToken) })).status).toBe(200);
      // Not blocked: the other customer can still start a conversation with the customer.
      const conversation = await call(`${shop.api}/conversations`, {
        method: 'POST',
        headers: bearer(other.accessToken, { 'content-type': 'application/json' }),
        body: JSON.stringify({ participantId: customer.user.id }),
      });
      expect(conversation.status, JSON.stringify(conversation.body)).toBe(201);
    });

    it('still serves a request without a body, or with an empty one', async () => {
      const path = examplePath(ROUTES.find((r) => routeKey(r) === 'GET /products') as RouteDefinition);
      expect((await sendRaw('GET', path, {})).status).toBe(200);
      expect(
        (await sendRaw('GET', path, { 'content-type': 'application/json' }, Buffer.alloc(0))).status,
      ).toBe(200);
    });
  });

  describe('an integer in the query is plain decimal digits, else a 400 naming the field', () => {
    it('has query integers to check', () => {
      expect(QUERY_INTEGERS.length).toBeGreaterThanOrEqual(5);
    });

    it.each(QUERY_INTEGERS)('%s ?%s=', async (_key, name, route) => {
      const token = tokenFor(route);
      const headers = token ? bearer(token) : {};
      for (const value of LENIENT_INTEGERS) {
        const res = await sendRaw(
          route.method,
          `${examplePath(route)}?${name}=${encodeURIComponent(value)}`,
          headers,
        );
        expect(res.status, `${name}=${JSON.stringify(value)}: ${res.text}`).toBe(400);
        const paths = ((res.body.errors ?? []) as { path: string }[]).map((error) => error.path);
        expect(paths, `${name}=${JSON.stringify(value)}`).toContain(`query.${name}`);
      }
      // Plain digits are still fine (the ids in the path are examples: 404 is fine too).
      const fine = await sendRaw(route.method, `${examplePath(route)}?${name}=10`, headers);
      const paths = ((fine.body.errors ?? []) as { path: string }[]).map((error) => error.path);
      expect(paths).not.toContain(`query.${name}`);
    });
  });
});
