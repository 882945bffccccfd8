import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import { demoProducts } from '../../lib/demo/seed.ts';
import {
  type ApiResponse,
  bearer,
  errorPaths,
  expectProblem,
  GOOD_PASSWORD,
  type Session,
} from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';

const seededProduct = demoProducts()[7] as Product;
/** Shaped like a refresh token, issued by nobody. */
const SOME_REFRESH_TOKEN = '01ARZ3NDEKTSV4RRFFQ69G5FAV.01ARZ3NDEKTSV4RRFFQ69G5FAW.c2VjcmV0c2VjcmV0c2VjcmV0';

/** A route that takes a JSON body, with a valid body and ways to break it field by field. */
interface BodyRoute {
  readonly route: string;
  readonly auth: 'none' | 'user' | 'admin';
  /** A body the route accepts as far as validation goes. */
  readonly valid: Record<string, unknown>;
  /** Every field with a value of the wrong JSON type. */
  readonly wrongTypes: Record<string, unknown>;
  /** Strings one past (or far past) each field's limit, each under the 16 KiB body limit. */
  readonly oversized: Record<string, string>;
  /** Fields the body must have (an empty object names them). */
  readonly required: readonly string[];
}

const ROUTES: readonly BodyRoute[] = [
  {
    route: 'POST /auth/register',
    auth: 'none',
    valid: { email: 'valid@example.com', password: GOOD_PASSWORD, displayName: 'Valid' },
    wrongTypes: { email: 42, password: true, displayName: ['x'] },
    oversized: {
      email: `${'a'.repeat(250)}@example.com`,
      password: 'p'.repeat(257),
      displayName: 'd'.repeat(61),
    },
    required: ['displayName', 'email', 'password'],
  },
  {
    route: 'POST /auth/login',
    auth: 'none',
    valid: { email: 'valid@example.com', password: GOOD_PASSWORD },
    wrongTypes: { email: null, password: 12345678901 },
    oversized: { email: `${'a'.repeat(250)}@example.com`, password: 'p'.repeat(257) },
    required: ['email', 'password'],
  },
  {
    route: 'POST /auth/refresh',
    auth: 'none',
    valid: { refreshToken: SOME_REFRESH_TOKEN },
    wrongTypes: { refreshToken: 1234 },
    oversized: { refreshToken: `${SOME_REFRESH_TOKEN}${'x'.repeat(300)}` },
    required: ['refreshToken'],
  },
  {
    route: 'POST /auth/logout',
    auth: 'none',
    valid: { refreshToken: SOME_REFRESH_TOKEN },
    wrongTypes: { refreshToken: { token: SOME_REFRESH_TOKEN } },
    oversized: { refreshToken: `${SOME_REFRESH_TOKEN}${'x'.repeat(300)}` },
    required: ['refreshToken'],
  },
  {
    route: 'PATCH /me',
    auth: 'user',
    valid: { displayName: 'Still Valid', bio: 'Fine.' },
    wrongTypes: { displayName: 5, bio: false },
    oversized: { displayName: 'd'.repeat(61), bio: 'b'.repeat(501) },
    required: [],
  },
  {
    route: 'PUT /me/password',
    auth: 'user',
    valid: { currentPassword: GOOD_PASSWORD, newPassword: 'another good password' },
    wrongTypes: { currentPassword: 1, newPassword: null },
    oversized: { currentPassword: 'c'.repeat(257), newPassword: 'n'.repeat(257) },
    required: ['currentPassword', 'newPassword'],
  },
  {
    route: 'PUT /me/preferences',
    auth: 'user',
    valid: { language: 'en', currency: 'EUR', theme: 'dark', marketingEmails: false, favoriteCategories: [] },
    wrongTypes: {
      language: 1,
      currency: 978,
      theme: true,
      marketingEmails: 'false',
      favoriteCategories: 'books',
    },
    oversized: {
      language: `en${'-abcdefgh'.repeat(100)}`,
      currency: 'EUR'.repeat(100),
      theme: 'dark'.repeat(100),
    },
    required: ['currency', 'favoriteCategories', 'language', 'marketingEmails', 'theme'],
  },
  {
    route: 'POST /products',
    auth: 'admin',
    valid: { name: 'Valid Product', category: 'toys', price: 100, currency: 'EUR', stock: 1 },
    wrongTypes: { name: 1, description: [], category: 3, price: '19.99', currency: null, stock: true },
    oversized: { name: 'n'.repeat(201), description: 'd'.repeat(4001), currency: 'EURO' },
    required: ['category', 'currency', 'name', 'price', 'stock'],
  },
  {
    route: 'PATCH /products/{productId}',
    auth: 'admin',
    valid: { stock: 2 },
    wrongTypes: { name: {}, price: '1', stock: null },
    oversized: { name: 'n'.repeat(201), description: 'd'.repeat(4001) },
    required: [],
  },
];

describe('bad input on every route that takes a body, through the local API', () => {
  const shop = useShop();
  let customer: Session;
  let admin: Session;

  beforeAll(async () => {
    [admin, customer] = await shop.adminAnd('bad-input');
  });

  /** Sends a raw body (string or bytes) with the given headers to a route, with the token it needs. */
  function send(spec: BodyRoute, body: string | Uint8Array | undefined, headers: Record<string, string>) {
    const [method, template = '/'] = spec.route.split(' ');
    const path = template.replace('{productId}', seededProduct.id);
    const token =
      spec.auth === 'admin' ? admin.accessToken : spec.auth === 'user' ? customer.accessToken : undefined;
    return call(`${shop.api}${path}`, { method, headers: token ? bearer(token, headers) : headers, body });
  }
  const sendJson = (spec: BodyRoute, body: unknown) =>
    send(spec, JSON.stringify(body), { 'content-type': 'application/json' });

  /** Every answer to bad input: 4xx problem+json, never a 500, nothing internal. */
  function expectClientError(res: ApiResponse, status: number): void {
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    expectProblem(res, status);
  }

  describe.each(ROUTES)('$route', (spec) => {
    it('answers malformed JSON with a 400 problem', async () => {
      expectClientError(await send(spec, '{"email": "a@b.c", ', { 'content-type': 'application/json' }), 400);
    });

    it('answers a body that is not UTF-8 with a 400 problem', async () => {
      const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      expectClientError(await send(spec, bytes, { 'content-type': 'application/json' }), 400);
    });

    it('answers a valid JSON body sent as text/plain with a 415 problem', async () => {
      expectClientError(await send(spec, JSON.stringify(spec.valid), { 'content-type': 'text/plain' }), 415);
    });

    it('answers a form-encoded body with a 415 problem', async () => {
      expectClientError(
        await send(spec, 'email=a%40b.c&password=x', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
      );
    });

    it('answers a body without a content type with a 415 problem', async () => {
      expectClientError(await send(spec, new TextEncoder().encode(JSON.stringify(spec.valid)), {}), 415);
    });

    it('answers a missing body with a 400 problem', async () => {
      expectClientError(await send(spec, undefined, { 'content-type': 'application/json' }), 400);
    });

    it.each([['null'], ['[]'], ['"a string"'], ['42'], ['true']])(
      'answers the JSON value %s instead of an object with a 400 problem',
      async (raw) => {
        expectClientError(await send(spec, raw, { 'content-type': 'application/json' }), 400);
      },
    );

    it('answers deeply nested JSON with a 400 problem', async () => {
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      expectClientError(await send(spec, deep, { 'content-type': 'application/json' }), 400);
    });

    it('answers an unknown field with a 400 problem naming it', async () => {
      const res = await sendJson(spec, { ...spec.valid, isAdmin: true });
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['body.isAdmin']);
    });

    it('answers wrong types with a 400 problem naming every wrong field', async () => {
      const res = await sendJson(spec, { ...spec.valid, ...spec.wrongTypes });
      expectClientError(res, 400);
      expect([...new Set(errorPaths(res))]).toEqual(
        Object.keys(spec.wrongTypes)
          .map((f) => `body.${f}`)
          .sort(),
      );
    });

    it.each(Object.entries(spec.oversized))(
      'answers an oversized %s with a 400 problem naming it',
      async (field, value) => {
        const res = await sendJson(spec, { ...spec.valid, [field]: value });
        expectClientError(res, 400);
        expect([...new Set(errorPaths(res))]).toEqual([`body.${field}`]);
      },
    );

    it('answers a body over 16 KiB with a 413 problem', async () => {
      const res = await sendJson(spec, { ...spec.valid, padding: 'x'.repeat(17 * 1024) });
      expectClientError(res, 413);
    });

    it('answers a 1 MiB body with a 413 problem, not a crash', async () => {
      const res = await sendJson(spec, { ...spec.valid, padding: 'x'.repeat(1024 * 1024) });
      expectClientError(res, 413);
    });

    if (spec.required.length > 0) {
      it('answers an empty object with a 400 problem naming every required field', async () => {
        const res = await sendJson(spec, {});
        expectClientError(res, 400);
        expect([...new Set(errorPaths(res))]).toEqual(spec.required.map((f) => `body.${f}`));
      });
    }
  });

  describe('headers and paths', () => {
    it.each([
      ['PUT /me/preferences', '/me/preferences', 'customer'],
      ['PATCH /products/{productId}', `/products/${seededProduct.id}`, 'admin'],
    ])(
      '%s answers a malformed If-Match with a 400 problem naming header.if-match',
      async (_route, path, who) => {
        const method = path.startsWith('/me') ? 'PUT' : 'PATCH';
        const body =
          method === 'PUT'
            ? {
                language: 'en',
                currency: 'EUR',
                theme: 'dark',
                marketingEmails: false,
                favoriteCategories: [],
              }
            : { stock: 3 };
        const token = who === 'admin' ? admin.accessToken : customer.accessToken;
        for (const ifMatch of ['not-an-etag', '"-1"', '"1e3"', `"${'9'.repeat(40)}"`]) {
          const res = await call(`${shop.api}${path}`, {
            method,
            headers: bearer(token, { 'content-type': 'application/json', 'if-match': ifMatch }),
            body: JSON.stringify(body),
          });
          expectClientError(res, 400);
          expect(errorPaths(res)).toEqual(['header.if-match']);
        }
      },
    );

    it.each([
      ['GET', '/users/not-a-ulid'],
      ['GET', `/users/${'0'.repeat(27)}`],
      ['GET', '/users/%00%00'],
      ['PATCH', '/products/not-a-ulid'],
      ['DELETE', '/products/not-a-ulid'],
    ])('%s %s answers a malformed id with a 400 problem', async (method, path) => {
      const res = await call(`${shop.api}${path}`, {
        method,
        headers: bearer(admin.accessToken, { 'content-type': 'application/json' }),
        body: method === 'PATCH' ? JSON.stringify({ stock: 1 }) : undefined,
      });
      expectClientError(res, 400);
    });

    it('answers a price of 1e400 (Infinity once parsed) with a 400 problem', async () => {
      const res = await call(`${shop.api}/products`, {
        method: 'POST',
        headers: bearer(admin.accessToken, { 'content-type': 'application/json' }),
        body: '{"name":"Inf","category":"toys","price":1e400,"currency":"EUR","stock":1}',
      });
      expectClientError(res, 400);
      expect(errorPaths(res)).toEqual(['body.price']);
    });
  });

  it('left the seeded product and the customer exactly as they were', async () => {
    expect((await call(`${shop.api}/products/${seededProduct.id}`)).body).toEqual(seededProduct);
    const me = await call(`${shop.api}/me`, { headers: bearer(customer.accessToken) });
    expect(me.body).toEqual(customer.user);
  });
});
