import { randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { SearchResult } from '../../functions/search/model.ts';
import {
  type ApiResponse,
  bearer,
  errorPaths,
  expectProblem,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';

const shop = useShop();
let admin: Session;

/** A made-up word no other test's product has (letters only: one word to the tokenizer). */
const uniqueWord = () => Array.from({ length: 9 }, () => String.fromCharCode(97 + randomInt(26))).join('');

const search = (query: Record<string, string>) =>
  call(`${shop.api}/products/search?${new URLSearchParams(query)}`);
const ids = (res: ApiResponse) => (res.body as SearchResult).items.map((item) => item.id);

/** Asks again every 200 ms until `check` passes or 10 s are over: the index follows the stream. */
async function eventually(
  query: Record<string, string>,
  check: (res: ApiResponse) => boolean,
): Promise<ApiResponse> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await search(query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (check(res) || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function createProduct(fields: Partial<Product>): Promise<Product> {
  const res = await call(
    `${shop.api}/products`,
    jsonInit(
      'POST',
      { name: 'Thing', description: '', category: 'home', price: 1000, currency: 'EUR', stock: 5, ...fields },
      bearer(admin.accessToken),
    ),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Product;
}

describe('GET /products/search through the local API', () => {
  beforeAll(async () => {
    [admin] = await shop.adminAnd();
  });

  it('finds the demo catalog, seeded before the stream consumers started, from the first snapshot', async () => {
    const res = await search({ q: 'teapot', category: 'home' });
    expect(res.status).toBe(200);
    const items = (res.body as SearchResult).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item.name).toMatch(/teapot/i);
  });

  it('finds a new product within seconds, by prefix and with a typo; after deletion it is gone', async () => {
    const word = uniqueWord();
    const product = await createProduct({ name: `${word} Blanket`, description: 'Soft wool.' });
    expect(ids(await eventually({ q: word }, (res) => ids(res).length > 0))).toEqual([product.id]);
    expect(ids(await search({ q: word.slice(0, 4) }))).toContain(product.id);
    const typo = `${word.slice(0, 3)}${word.slice(4)}`;
    expect(ids(await search({ q: typo }))).toEqual([product.id]);
    const deleted = await call(`${shop.api}/products/${product.id}`, {
      method: 'DELETE',
      headers: bearer(admin.accessToken),
    });
    expect(deleted.status).toBe(204);
    expect(ids(await eventually({ q: word }, (res) => ids(res).length === 0))).toEqual([]);
  });

  it('ranks name matches first, answers facets, filters by category subtree, price and stock', async () => {
    const word = uniqueWord();
    const inName = await createProduct({ name: `${word} lamp`, category: 'books', price: 1500 });
    const inDescription = await createProduct({
      name: 'Plain lamp',
      description: `Goes with ${word}.`,
      price: 6000,
      stock: 0,
    });
    const res = await eventually({ q: word }, (r) => ids(r).length === 2);
    expect(ids(res)).toEqual([inName.id, inDescription.id]);
    const { facets } = res.body as SearchResult;
    expect(facets.category).toEqual([
      { slug: 'books', count: 1 },
      { slug: 'home', count: 1 },
    ]);
    expect(facets.price).toEqual([
      { min: 1000, max: 2500, count: 1 },
      { min: 5000, max: 10000, count: 1 },
    ]);
    expect(ids(await search({ q: word, category: 'home' }))).toEqual([inDescription.id]);
    expect(ids(await search({ q: word, inStock: 'true' }))).toEqual([inName.id]);
    expect(ids(await search({ q: word, minPrice: '2000', maxPrice: '6000' }))).toEqual([inDescription.id]);
    expect(ids(await search({ q: word, sort: 'price_desc' }))).toEqual([inDescription.id, inName.id]);
  });

  it('stock running out moves the product between the inStock facets', async () => {
    const word = uniqueWord();
    const product = await createProduct({ name: `${word} kettle`, stock: 1 });
    await eventually({ q: word, inStock: 'true' }, (res) => ids(res).length === 1);
    const patched = await call(
      `${shop.api}/products/${product.id}`,
      jsonInit('PATCH', { stock: 0 }, bearer(admin.accessToken)),
    );
    expect(patched.status).toBe(200);
    expect(ids(await eventually({ q: word, inStock: 'false' }, (res) => ids(res).length === 1))).toEqual([
      product.id,
    ]);
    expect(ids(await search({ q: word, inStock: 'true' }))).toEqual([]);
  });

  it('pages with an opaque cursor, without repeats or gaps; a cursor of another search is a 400', async () => {
    const word = uniqueWord();
    const created: Product[] = [];
    for (let i = 0; i < 5; i++)
      created.push(await createProduct({ name: `${word} mug ${i}`, price: 100 * (i + 1) }));
    await eventually({ q: word }, (res) => ids(res).length === 5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await search({ q: word, sort: 'price_asc', limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(...ids(res));
      cursor = (res.body as SearchResult).nextCursor;
    } while (cursor);
    expect(seen).toEqual(created.map((product) => product.id));
    const first = await search({ q: word, sort: 'price_asc', limit: '2' });
    const other = await search({
      q: word,
      sort: 'price_desc',
      limit: '2',
      cursor: String((first.body as SearchResult).nextCursor),
    });
    expectProblem(other, 400);
  });

  it.each([
    [{ minPrice: '500', maxPrice: '100' }, 'query.minPrice'],
    [{ sort: 'cheapest' }, 'query.sort'],
    [{ q: 'x'.repeat(1000) }, 'query.q'],
    [{ category: 'no-such-category' }, 'query.category'],
    [{ limit: '0' }, 'query.limit'],
    [{ minPrice: '-1' }, 'query.minPrice'],
    [{ inStock: 'yes' }, 'query.inStock'],
    [{ cursor: 'not-a-cursor' }, 'query.cursor'],
    [{ colour: 'red' }, 'query'],
  ])('%j is a 400 problem naming %s', async (query, path) => {
    const res = await search(query);
    expectProblem(res, 400);
    expect(errorPaths(res).join(' ')).toContain(path);
  });
});
