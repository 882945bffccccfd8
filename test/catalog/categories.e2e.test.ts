import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import type { CategoryView } from '../../functions/catalog/category-model.ts';
import type { Product } from '../../functions/catalog/model.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import {
  accountsApi,
  bearer,
  expectGatewayRefusal,
  expectProblem,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { call, startTestBackend } from '../support/local-api.ts';

const PRODUCT = { name: 'Reading lamp', description: 'Warm light.', price: 3999, currency: 'EUR', stock: 4 };

describe('categories through the local API', () => {
  let backend: ShopBackend;
  let api: string;
  let admin: Session;
  let customer: Session;

  beforeAll(async () => {
    backend = await startTestBackend();
    api = backend.url;
    const client = accountsApi(api);
    const seededAdmin = backend.seeded?.admin;
    if (!seededAdmin) throw new Error('The test backend seeds an admin.');
    admin = await client.signIn(seededAdmin.email, seededAdmin.password);
    customer = await client.newCustomer('categories');
  });

  afterAll(async () => {
    await backend.stop();
  });

  const post = (path: string, body: unknown, token = admin.accessToken) =>
    call(`${api}${path}`, jsonInit('POST', body, bearer(token)));
  const tree = async (): Promise<CategoryView[]> => {
    const res = await call(`${api}/categories`);
    expect(res.status).toBe(200);
    return res.body.items as CategoryView[];
  };

  it('serves the seeded tree publicly with counts, cacheable with an ETag and a 304 on revalidation', async () => {
    const res = await call(`${api}/categories`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
    const etag = res.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    const items = res.body.items as CategoryView[];
    for (const slug of [
      'electronics',
      'books',
      'home',
      'garden',
      'toys',
      'sports',
      'fashion',
      'beauty',
      'grocery',
      'music',
    ])
      expect(items.find((c) => c.slug === slug)).toMatchObject({ depth: 1, parentId: null });
    // The demo catalog is counted in.
    expect(items.reduce((sum, c) => sum + c.ownProductCount, 0)).toBeGreaterThan(0);
    const again = await fetch(`${api}/categories`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('creates a subcategory; products in it are listed under the parent too, and counted', async () => {
    const res = await post('/categories', { slug: 'e2e-lamps', name: 'Lamps', parentId: 'home' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/categories/${res.body.id}`);
    const made = await post('/products', { ...PRODUCT, category: 'e2e-lamps' });
    expect(made.status).toBe(201);
    const product = made.body as unknown as Product;
    const home = await call(`${api}/products?category=home&limit=100`);
    expect((home.body.items as Product[]).map((p) => p.id)).toContain(product.id);
    const lamps = await call(`${api}/products?category=e2e-lamps`);
    expect((lamps.body.items as Product[]).map((p) => p.id)).toEqual([product.id]);
    const view = (await tree()).find((c) => c.slug === 'e2e-lamps');
    expect(view).toMatchObject({ parentId: 'home', depth: 2, ownProductCount: 1, productCount: 1 });
    // Not empty: 409 problem, and nothing changed.
    expectProblem(
      await call(`${api}/categories/${res.body.id}`, {
        method: 'DELETE',
        headers: bearer(admin.accessToken),
      }),
      409,
    );
    expectProblem(
      await call(`${api}/categories/home`, { method: 'DELETE', headers: bearer(admin.accessToken) }),
      409,
    );
    expect((await tree()).find((c) => c.slug === 'e2e-lamps')).toBeDefined();
  });

  it('answers an unknown category on product writes with a 422 problem naming body.category', async () => {
    const res = await post('/products', { ...PRODUCT, category: 'no-such-category' });
    expectProblem(res, 422);
    expect(res.body.type).toBe('/problems/unknown-category');
    expect((res.body.errors as { path: string }[]).map((e) => e.path)).toEqual(['body.category']);
  });

  it('answers bad category input with 4xx problems, never a 500', async () => {
    expectProblem(await post('/categories', { slug: 'Not A Slug', name: 'x' }), 400);
    expectProblem(await post('/categories', { slug: 'ok-slug' }), 400);
    expectProblem(await post('/categories', { slug: 'ok-slug', name: 'x', extra: 1 }), 400);
    expectProblem(await post('/categories', { slug: 'books', name: 'Dupe' }), 409);
    expectProblem(
      await post('/categories', { slug: 'orphan', name: 'x', parentId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
      422,
    );
    expectGatewayRefusal(await post('/categories', { slug: 'sneaky', name: 'x' }, customer.accessToken), 403);
    const patch = (id: string, body: unknown) =>
      call(`${api}/categories/${id}`, jsonInit('PATCH', body, bearer(admin.accessToken)));
    expectProblem(await patch('home', {}), 400);
    expectProblem(await patch('01ARZ3NDEKTSV4RRFFQ69G5FAV', { name: 'x' }), 404);
    expectProblem(await patch('home', { parentId: 'home' }), 422);
    expectProblem(await patch('bad id!', { name: 'x' }), 400);
    expect((await patch('music', { name: 'Music & records', position: 9 })).body).toMatchObject({
      slug: 'music',
      name: 'Music & records',
    });
  });

  it('keeps favourite categories as slug strings in preferences (a deleted category is harmless there)', async () => {
    const put = (favoriteCategories: unknown) =>
      call(
        `${api}/me/preferences`,
        jsonInit('PUT', { ...DEFAULT_PREFERENCES, favoriteCategories }, bearer(customer.accessToken)),
      );
    expect((await put(['books', 'e2e-lamps', 'some-future-category'])).status).toBe(200);
    expectProblem(await put(['Not A Slug']), 400);
  });
});
