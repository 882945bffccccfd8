import { describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import { ROUTES } from '../../lib/api/routes.ts';
import { demoProducts } from '../../lib/demo/seed.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';

const seeded = demoProducts();

function expectProblem(response: Awaited<ReturnType<typeof call>>, status: number): void {
  expect(response.status).toBe(status);
  expect(response.contentType).toBe('application/problem+json');
  expect(response.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof response.body.detail).toBe('string');
  expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(m?js|ts):\d+/);
}

describe('catalog over HTTP through the local API', () => {
  const shop = useShop({ own: true });

  describe('GET /health', () => {
    it('returns 200 {"status":"ok"}', async () => {
      const res = await call(`${shop.api}/health`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });
  });

  describe('GET /products', () => {
    it('returns the newest 20 products by default, with a cursor', async () => {
      const res = await call(`${shop.api}/products`);
      expect(res.status).toBe(200);
      const items = res.body.items as Product[];
      expect(items).toHaveLength(20);
      const newest = [...seeded].sort((a, b) => (a.id < b.id ? 1 : -1));
      expect(items.map((p) => p.id)).toEqual(newest.slice(0, 20).map((p) => p.id));
      expect(res.body.nextCursor).toEqual(expect.any(String));
    });

    it('walks the whole seeded catalog page by page, each product exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query = new URLSearchParams({ limit: '7', ...(cursor ? { cursor } : {}) });
        const res = await call(`${shop.api}/products?${query}`);
        expect(res.status).toBe(200);
        seen.push(...(res.body.items as Product[]).map((p) => p.id));
        cursor = res.body.nextCursor as string | null;
        pages++;
      } while (cursor && pages < 20);
      expect(seen).toHaveLength(seeded.length);
      expect(new Set(seen).size).toBe(seeded.length);
      expect(seen).toEqual([...seen].sort().reverse());
    });

    it('filters by category', async () => {
      const res = await call(`${shop.api}/products?category=books&limit=100`);
      const items = res.body.items as Product[];
      expect(items.length).toBe(seeded.filter((p) => p.category === 'books').length);
      expect(items.every((p) => p.category === 'books')).toBe(true);
    });

    it.each([
      ['limit=0', 'query.limit'],
      ['limit=101', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['limit=5&limit=6', 'query.limit'],
      ['category=weapons', 'query.category'],
      ['sort=price', 'query.sort'],
      ['cursor=not-a-cursor', 'query.cursor'],
    ])('answers ?%s with a 400 problem naming %s', async (query, field) => {
      const res = await call(`${shop.api}/products?${query}`);
      expectProblem(res, 400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
    });

    it('rejects a tampered cursor with 400', async () => {
      const first = await call(`${shop.api}/products?limit=2`);
      const cursor = String(first.body.nextCursor);
      const [payload, mac] = cursor.split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ id: seeded[0]?.id })).toString('base64url');
      for (const forged of [`${forgedPayload}.${mac}`, `${payload}.${mac?.slice(0, -2)}AA`, `${payload}`]) {
        expectProblem(await call(`${shop.api}/products?cursor=${encodeURIComponent(forged)}`), 400);
      }
    });

    it('rejects a cursor from another listing with 400', async () => {
      const books = await call(`${shop.api}/products?category=books&limit=1`);
      const res = await call(
        `${shop.api}/products?category=toys&cursor=${encodeURIComponent(String(books.body.nextCursor))}`,
      );
      expectProblem(res, 400);
    });
  });

  describe('GET /products/{productId}', () => {
    it('returns the product', async () => {
      const product = seeded[5] as Product;
      const res = await call(`${shop.api}/products/${product.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(product);
    });

    it('returns a 404 problem for an unknown id', async () => {
      expectProblem(await call(`${shop.api}/products/01ARZ3NDEKTSV4RRFFQ69G5FAV`), 404);
    });

    it('returns a 400 problem for a malformed id', async () => {
      const res = await call(`${shop.api}/products/not-an-id`);
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'path.productId' })]);
    });
  });

  describe('GET /openapi.json', () => {
    it('documents every route of the route table', async () => {
      const res = await call(`${shop.api}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      const paths = res.body.paths as Record<string, Record<string, unknown>>;
      for (const route of ROUTES)
        expect(
          paths[route.path]?.[route.method.toLowerCase()],
          `${route.method} ${route.path}`,
        ).toBeDefined();
    });
  });

  describe('routes that do not exist', () => {
    it('answers an unknown path with a 404 problem', async () => {
      expectProblem(await call(`${shop.api}/no/such/thing`), 404);
    });

    it('answers a known path with the wrong method with a 405 problem and Allow', async () => {
      const res = await call(`${shop.api}/products`, { method: 'DELETE' });
      expectProblem(res, 405);
      expect(res.headers.get('allow')).toBe('GET, POST');
    });
  });
});
