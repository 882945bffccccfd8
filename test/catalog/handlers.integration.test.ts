import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as getProduct } from '../../functions/catalog/get-product.ts';
import { handler as listProducts } from '../../functions/catalog/list-products.ts';
import { type Product, productPageSchema, productSchema } from '../../functions/catalog/model.ts';
import { newId } from '../../functions/core/ids.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { quietLogger } from '../support/logs.ts';
import { errorPaths, expectProblem, jsonBodyOf } from '../support/problems.ts';
import { newestFirst, putProducts, storedProduct } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';

type Page = { items: Product[]; nextCursor: string | null };

const list = (query: Record<string, string> = {}) =>
  listProducts(httpEvent('GET /products', { query }), lambdaContext('CatalogListProducts'));
const get = (productId: string) =>
  getProduct(httpEvent('GET /products/{productId}', { pathParameters: { productId } }), lambdaContext());

describe('catalog handlers', () => {
  let sports: Product[] = [];
  let toys: Product[] = [];

  beforeAll(async () => {
    await useFreshTable();
    sports = await putProducts(25, 'sports');
    toys = await putProducts(3, 'toys');
  });
  beforeEach(() => {
    quietLogger();
  });

  describe('GET /products', () => {
    it('returns 200 application/json with a page that matches the documented schema', async () => {
      const response = await list({ category: 'toys' });
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      const page = productPageSchema.parse(jsonBodyOf(response));
      expect(page).toEqual({ items: [...toys].reverse(), nextCursor: null });
    });

    it('returns 20 products by default, newest first, with a cursor to the rest', async () => {
      const page = jsonBodyOf<Page>(await list({ category: 'sports' }));
      expect(page.items.map((p) => p.id)).toEqual(newestFirst(sports).slice(0, 20));
      expect(page.nextCursor).toEqual(expect.any(String));
    });

    it('follows nextCursor to the next page', async () => {
      const first = jsonBodyOf<Page>(await list({ category: 'sports', limit: '10' }));
      const second = jsonBodyOf<Page>(
        await list({ category: 'sports', limit: '10', cursor: String(first.nextCursor) }),
      );
      const third = jsonBodyOf<Page>(
        await list({ category: 'sports', limit: '10', cursor: String(second.nextCursor) }),
      );
      expect([...first.items, ...second.items, ...third.items].map((p) => p.id)).toEqual(newestFirst(sports));
      expect(third.nextCursor).toBeNull();
    });

    it('mixes categories newest first when unfiltered', async () => {
      const page = jsonBodyOf<Page>(await list({ limit: '100' }));
      expect(page.items.map((p) => p.id)).toEqual(newestFirst([...sports, ...toys]));
    });

    it.each([
      ['limit=0', { limit: '0' }, ['query.limit']],
      ['limit=101', { limit: '101' }, ['query.limit']],
      ['limit=abc', { limit: 'abc' }, ['query.limit']],
      ['limit=1.5', { limit: '1.5' }, ['query.limit']],
      ['limit=-1', { limit: '-1' }, ['query.limit']],
      ['an empty limit', { limit: '' }, ['query.limit']],
      ['an unknown query parameter', { foo: 'bar' }, ['query.foo']],
      ['an unknown category', { category: 'cars' }, ['query.category']],
      ['a category in the wrong case', { category: 'Books' }, ['query.category']],
      ['an empty cursor', { cursor: '' }, ['query.cursor']],
      ['a cursor without a dot', { cursor: 'garbage' }, ['query.cursor']],
      ['a huge cursor', { cursor: 'x'.repeat(5000) }, ['query.cursor']],
      [
        'several bad fields',
        { limit: '0', category: 'Cars', sort: 'price' },
        ['query.category', 'query.limit', 'query.sort'],
      ],
    ])('answers 400 problem+json for %s', async (_name, query, paths) => {
      const problem = expectProblem(await list(query), 400);
      expect(problem.type).toBe('/problems/validation-error');
      expect(errorPaths(problem)).toEqual(paths);
      for (const error of problem.errors ?? []) expect(error.message).toEqual(expect.any(String));
    });

    it('returns 400 problem+json when the cursor was tampered with', async () => {
      const { nextCursor } = jsonBodyOf<Page>(await list({ category: 'sports', limit: '5' }));
      const [payload = '', signature] = String(nextCursor).split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ id: sports[0]?.id })).toString('base64url');
      for (const cursor of [`${forgedPayload}.${signature}`, `${payload.slice(0, -1)}A.${signature}`]) {
        const problem = expectProblem(await list({ category: 'sports', cursor }), 400);
        expect(errorPaths(problem)).toEqual(['query.cursor']);
      }
    });

    it('returns 400 problem+json for a cursor from another category or from the unfiltered listing', async () => {
      const sportsCursor = String(
        jsonBodyOf<Page>(await list({ category: 'sports', limit: '5' })).nextCursor,
      );
      const allCursor = String(jsonBodyOf<Page>(await list({ limit: '5' })).nextCursor);
      const queries: Record<string, string>[] = [
        { category: 'toys', cursor: sportsCursor },
        { cursor: sportsCursor },
        { category: 'sports', cursor: allCursor },
      ];
      for (const query of queries) {
        expect(errorPaths(expectProblem(await list(query), 400))).toEqual(['query.cursor']);
      }
    });

    it('puts the request id in the problem as instance', async () => {
      const event = httpEvent('GET /products', { query: { limit: '0' } });
      const problem = expectProblem(await listProducts(event, lambdaContext()), 400);
      expect(problem.instance).toBe(event.requestContext.requestId);
    });
  });

  describe('GET /products/{productId}', () => {
    it('returns 200 with the stored product, exactly as documented', async () => {
      const stored = await storedProduct({
        name: 'Espresso machine',
        price: 34_900,
        currency: 'USD',
        stock: 0,
      });
      const response = await get(stored.id);
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      expect(productSchema.parse(jsonBodyOf(response))).toEqual(stored);
      expect(Object.keys(jsonBodyOf(response)).sort()).toEqual(Object.keys(stored).sort());
    });

    it.each([
      ['a word', 'abc'],
      ['a lower-case ULID', newId().toLowerCase()],
      ['a ULID with one character too many', `${newId()}0`],
      ['a ULID with one character too few', newId().slice(0, 25)],
      ['a ULID with a letter Crockford excludes', `${newId().slice(0, 25)}U`],
      ['an injection attempt', "01ARZ3NDEKTSV4RRFFQ69G5FAV' OR 1=1"],
    ])('answers 400 problem+json naming path.productId for %s', async (_name, productId) => {
      const problem = expectProblem(await get(productId), 400);
      expect(errorPaths(problem)).toEqual(['path.productId']);
    });

    it('answers 400 problem+json when the path parameter is missing altogether', async () => {
      const event = { ...httpEvent('GET /products/{productId}'), pathParameters: undefined };
      expect(errorPaths(expectProblem(await getProduct(event, lambdaContext()), 400))).toEqual([
        'path.productId',
      ]);
    });

    it('answers 404 problem+json for a well-formed id nobody stored', async () => {
      const missing = newId();
      const problem = expectProblem(await get(missing), 404);
      expect(problem.type).toBe('/problems/not-found');
      expect(problem.detail).toContain(missing);
      expect(problem).not.toHaveProperty('errors');
    });
  });
});
