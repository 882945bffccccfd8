import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreateProductInput, Product } from '../../functions/catalog/model.ts';
import { demoProducts } from '../../lib/demo/seed.ts';
import {
  type ApiResponse,
  bearer,
  errorPaths,
  expectGatewayRefusal,
  expectProblem,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { functionOf } from '../support/forged-tokens.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';

const NEW_PRODUCT: CreateProductInput = {
  name: 'Admin Teapot',
  description: 'Made by the admin e2e test.',
  category: 'home',
  price: 1999,
  currency: 'EUR',
  stock: 7,
};

const seededProduct = demoProducts()[3] as Product;

describe('admin catalog writes through the local API', () => {
  const shop = useShop();
  let admin: Session;
  let customer: Session;

  beforeAll(async () => {
    [admin, customer] = await shop.adminAnd('shopper');
  });

  const create = (token: string | undefined, body: unknown = NEW_PRODUCT) =>
    call(`${shop.api}/products`, jsonInit('POST', body, token ? bearer(token) : {}));
  const patch = (token: string | undefined, id: string, body: unknown, ifMatch?: string) =>
    call(
      `${shop.api}/products/${id}`,
      jsonInit('PATCH', body, {
        ...(token ? bearer(token) : {}),
        ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
      }),
    );
  const remove = (token: string | undefined, id: string) =>
    call(`${shop.api}/products/${id}`, { method: 'DELETE', headers: token ? bearer(token) : {} });
  const listIds = async (category: string): Promise<string[]> => {
    const res = await call(`${shop.api}/products?category=${category}&limit=100`);
    expect(res.status).toBe(200);
    return (res.body.items as Product[]).map((p) => p.id);
  };
  const created = async (): Promise<{ product: Product; etag: string }> => {
    const res = await create(admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { product: res.body as unknown as Product, etag: String(res.headers.get('etag')) };
  };

  it('signs the seeded admin in with the admin scope', () => {
    expect(admin.user.role).toBe('admin');
    const claims = JSON.parse(Buffer.from(admin.accessToken.split('.')[1] ?? '', 'base64url').toString());
    expect(claims.scope).toBe('admin');
  });

  describe('POST /products', () => {
    it('creates the product: 201 with an ETag and a Location, and it can be read and listed', async () => {
      const res = await create(admin.accessToken);
      expect(res.status).toBe(201);
      const product = res.body as unknown as Product;
      expect(product).toEqual({
        ...NEW_PRODUCT,
        id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        images: [],
        createdAt: expect.any(String),
        updatedAt: product.createdAt,
      });
      expect(res.headers.get('etag')).toBe('"1"');
      expect(res.headers.get('location')).toBe(`/products/${product.id}`);

      const read = await call(`${shop.api}${res.headers.get('location')}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(product);
      expect(await listIds('home')).toContain(product.id);
    });

    it('fills in an empty description when none is given', async () => {
      const { description: _omitted, ...withoutDescription } = NEW_PRODUCT;
      const res = await create(admin.accessToken, withoutDescription);
      expect(res.status).toBe(201);
      expect(res.body.description).toBe('');
    });

    it.each<[string, string, Record<string, unknown>]>([
      ['a float price', 'body.price', { price: 19.99 }],
      ['a negative stock', 'body.stock', { stock: -1 }],
      [
        'a malformed category (an unknown one is a 422: test/catalog/)',
        'body.category',
        { category: 'Weapons!' },
      ],
      ['a lowercase currency', 'body.currency', { currency: 'eur' }],
      ['an empty name', 'body.name', { name: '' }],
      ['an id chosen by the client', 'body.id', { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }],
    ])('rejects %s with a 400 problem naming %s', async (_label, path, change) => {
      const res = await create(admin.accessToken, { ...NEW_PRODUCT, ...change });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual([path]);
    });
  });

  describe('PATCH /products/{productId}', () => {
    it('changes the given fields and answers 200 with the product and a new ETag', async () => {
      const { product, etag } = await created();
      const res = await patch(admin.accessToken, product.id, { price: 2499, stock: 3 }, etag);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ...product, price: 2499, stock: 3, updatedAt: expect.any(String) });
      expect(res.headers.get('etag')).toBe('"2"');
      expect((await call(`${shop.api}/products/${product.id}`)).body).toEqual(res.body);
    });

    it('moves the product to its new category: listed there and no longer in the old one', async () => {
      const { product } = await created();
      expect(await listIds('home')).toContain(product.id);
      const res = await patch(admin.accessToken, product.id, { category: 'garden' });
      expect(res.status).toBe(200);
      expect(res.body.category).toBe('garden');
      expect(await listIds('garden')).toContain(product.id);
      expect(await listIds('home')).not.toContain(product.id);
    });

    it('refuses a stale If-Match with a 412 problem and leaves the product as it was', async () => {
      const { product, etag } = await created();
      expect((await patch(admin.accessToken, product.id, { stock: 1 }, etag)).status).toBe(200);
      const stale = await patch(admin.accessToken, product.id, { stock: 99 }, etag);
      expectProblem(stale, 412);
      expect((await call(`${shop.api}/products/${product.id}`)).body.stock).toBe(1);
    });

    it('lets exactly one of 10 concurrent PATCHes with the same If-Match win; the other 9 get 412', async () => {
      const { product, etag } = await created();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => patch(admin.accessToken, product.id, { stock: 100 + i }, etag)),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(9);
      for (const loser of results.filter((r) => r.status === 412)) expectProblem(loser, 412);
      const winner = results.find((r) => r.status === 200) as ApiResponse;
      expect(winner.headers.get('etag')).toBe('"2"');
      expect((await call(`${shop.api}/products/${product.id}`)).body.stock).toBe(winner.body.stock);
    });

    it('answers an unknown product with a 404 problem', async () => {
      expectProblem(await patch(admin.accessToken, '01ARZ3NDEKTSV4RRFFQ69G5FAV', { stock: 1 }), 404);
    });

    it('answers an unknown product with a 404 problem even with an If-Match', async () => {
      expectProblem(await patch(admin.accessToken, '01ARZ3NDEKTSV4RRFFQ69G5FAV', { stock: 1 }, '"1"'), 404);
    });

    it('answers an empty change with a 400 problem', async () => {
      const { product } = await created();
      expectProblem(await patch(admin.accessToken, product.id, {}), 400);
    });

    it.each([['createdAt'], ['id'], ['version']])(
      'refuses to change %s (400, unknown field)',
      async (field) => {
        const { product } = await created();
        const res = await patch(admin.accessToken, product.id, { [field]: '01ARZ3NDEKTSV4RRFFQ69G5FAV' });
        expectProblem(res, 400);
        expect(errorPaths(res)).toEqual([`body.${field}`]);
      },
    );
  });

  describe('DELETE /products/{productId}', () => {
    it('answers 204; afterwards GET is 404, the listing drops it, and a second DELETE is 404', async () => {
      const { product } = await created();
      const res = await remove(admin.accessToken, product.id);
      expect(res.status).toBe(204);
      expectProblem(await call(`${shop.api}/products/${product.id}`), 404);
      expect(await listIds(product.category)).not.toContain(product.id);
      expectProblem(await remove(admin.accessToken, product.id), 404);
    });

    it('answers a malformed id with a 400 problem', async () => {
      const res = await remove(admin.accessToken, 'not-a-product');
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['path.productId']);
    });
  });

  describe('who may write the catalog', () => {
    const adminRoutes = [
      ['POST /products', 'CatalogCreateProduct'],
      ['PATCH /products/{productId}', 'CatalogUpdateProduct'],
      ['DELETE /products/{productId}', 'CatalogDeleteProduct'],
    ] as const;

    const send = (route: string, token: string | undefined) => {
      if (route.startsWith('POST')) return create(token);
      if (route.startsWith('PATCH')) return patch(token, seededProduct.id, { price: 1 }, '"1"');
      return remove(token, seededProduct.id);
    };

    it.each(adminRoutes)(
      '%s answers a customer token with 403 from the gateway; the function never runs',
      async (route, functionId) => {
        const invoke = vi.spyOn(functionOf(shop.backend, functionId), 'invoke');
        try {
          expectGatewayRefusal(await send(route, customer.accessToken), 403);
          expect(invoke).not.toHaveBeenCalled();
        } finally {
          invoke.mockRestore();
        }
      },
    );

    it.each(adminRoutes)(
      '%s answers a request without a token with 401 from the gateway; the function never runs',
      async (route, functionId) => {
        const invoke = vi.spyOn(functionOf(shop.backend, functionId), 'invoke');
        try {
          const res = await send(route, undefined);
          expectGatewayRefusal(res, 401);
          expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
          expect(invoke).not.toHaveBeenCalled();
        } finally {
          invoke.mockRestore();
        }
      },
    );

    it('leaves the product untouched after all of those refused writes', async () => {
      const res = await call(`${shop.api}/products/${seededProduct.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(seededProduct);
    });
  });
});
