import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORIES } from '../../functions/catalog/category-model.ts';
import {
  createCategory,
  deleteCategory,
  ensureDefaultCategories,
  listCategories,
  updateCategory,
} from '../../functions/catalog/category-store.ts';
import { createProduct, deleteProduct, listProducts, updateProduct } from '../../functions/catalog/store.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { aProduct } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';

/** The status and problem type a store call fails with, as the HTTP stack would answer. */
async function failure(
  run: () => Promise<unknown>,
): Promise<{ status: number; type: string; paths: string[] }> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const http = asHttpError(error);
    return { status: http.statusCode, type: http.slug, paths: (http.errors ?? []).map((e) => e.path) };
  }
  throw new Error('the call succeeded');
}

const input = (category: string, name = 'Thing') => {
  const { name: _n, description, price, currency, stock } = aProduct();
  return { name, description, category, price, currency, stock };
};

/** A category's id by slug (only the default ones have their slug as id). */
const idOf = async (slug: string) => String((await listCategories()).items.find((c) => c.slug === slug)?.id);

const counts = async () =>
  new Map(
    (await listCategories()).items.map((c) => [c.slug, { own: c.ownProductCount, all: c.productCount }]),
  );

describe('categories as data on DynamoDB Local', () => {
  beforeAll(async () => {
    await useFreshTable();
  });

  it('seeds the ten default categories once, with the same slugs, idempotently under parallel calls', async () => {
    await Promise.all(Array.from({ length: 5 }, () => ensureDefaultCategories()));
    const { items } = await listCategories();
    expect(items.map((c) => c.slug).sort()).toEqual([...DEFAULT_CATEGORIES].sort());
    expect(items.every((c) => c.depth === 1 && c.parentId === null && c.id === c.slug)).toBe(true);
  });

  it('builds a tree of at most three levels; a fourth level or self-parent is a 422', async () => {
    const lamps = await createCategory({ slug: 'lamps', name: 'Lamps', parentId: 'home', position: 0 });
    const desk = await createCategory({
      slug: 'desk-lamps',
      name: 'Desk',
      parentId: lamps.category.id,
      position: 0,
    });
    expect(desk.category.depth).toBe(3);
    expect(
      await failure(() =>
        createCategory({ slug: 'tiny', name: 'Tiny', parentId: desk.category.id, position: 0 }),
      ),
    ).toMatchObject({ status: 422, type: 'category-too-deep', paths: ['body.parentId'] });
    expect(await failure(() => updateCategory(lamps.category.id, { parentId: 'toys' }))).toMatchObject({
      status: 409, // it has a child: it cannot move at all
    });
    expect(
      await failure(() => updateCategory(desk.category.id, { parentId: desk.category.id })),
    ).toMatchObject({
      status: 422,
      type: 'category-too-deep',
    });
    expect(
      await failure(() =>
        createCategory({ slug: 'orphan', name: 'O', parentId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', position: 0 }),
      ),
    ).toMatchObject({ status: 422, type: 'unknown-category', paths: ['body.parentId'] });
  });

  it('keeps slugs unique, also when two creates race', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        createCategory({ slug: 'candles', name: 'Candles', parentId: 'home', position: 1 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await listCategories()).items.filter((c) => c.slug === 'candles')).toHaveLength(1);
    expect(await failure(() => createCategory({ slug: 'books', name: 'Again', position: 0 }))).toMatchObject({
      status: 409,
    });
  });

  it('lists a category with its descendants; counts are exact under parallel creates', async () => {
    const inHome = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createProduct(input('home', `Home ${i}`))),
    );
    const inLamps = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createProduct(input('lamps', `Lamp ${i}`))),
    );
    const inDesk = await Promise.all(
      Array.from({ length: 7 }, (_, i) => createProduct(input('desk-lamps', `Desk ${i}`))),
    );
    const ids = (list: { product: { id: string } }[]) => list.map((p) => p.product.id).sort();
    const walk = async (category: string) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listProducts({ category, limit: 4, cursor });
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen.sort();
    };
    expect(await walk('desk-lamps')).toEqual(ids(inDesk));
    expect(await walk('lamps')).toEqual(ids([...inLamps, ...inDesk]));
    expect(await walk('home')).toEqual(ids([...inHome, ...inLamps, ...inDesk]));
    const c = await counts();
    expect(c.get('home')).toEqual({ own: 6, all: 21 });
    expect(c.get('lamps')).toEqual({ own: 8, all: 15 });
    expect(c.get('desk-lamps')).toEqual({ own: 7, all: 7 });
    // A leaf's listing is still newest first.
    const page = await listProducts({ category: 'desk-lamps', limit: 20 });
    expect(page.items.map((p) => p.id)).toEqual(
      inDesk
        .map((p) => p.product.id)
        .sort()
        .reverse(),
    );
  });

  it('refuses an unknown category on product writes (422 body.category) and listings (400 query.category), writing nothing', async () => {
    expect(await failure(() => createProduct(input('no-such-thing')))).toMatchObject({
      status: 422,
      type: 'unknown-category',
      paths: ['body.category'],
    });
    const { product } = await createProduct(input('garden'));
    expect(await failure(() => updateProduct(product.id, { category: 'no-such-thing' }))).toMatchObject({
      status: 422,
      paths: ['body.category'],
    });
    expect(await failure(() => listProducts({ category: 'no-such-thing', limit: 5 }))).toMatchObject({
      status: 400,
      paths: ['query.category'],
    });
    expect((await counts()).get('garden')).toEqual({ own: 1, all: 1 });
  });

  it('moves counts and listings with a product’s category change and delete', async () => {
    const { product } = await createProduct(input('toys', 'Mover'));
    await updateProduct(product.id, { category: 'desk-lamps' });
    expect((await listProducts({ category: 'toys', limit: 50 })).items.map((p) => p.id)).not.toContain(
      product.id,
    );
    expect((await listProducts({ category: 'home', limit: 50 })).items.map((p) => p.id)).toContain(
      product.id,
    );
    let c = await counts();
    expect(c.get('toys')?.own).toBe(0);
    expect(c.get('desk-lamps')?.own).toBe(8);
    await deleteProduct(product.id);
    c = await counts();
    expect(c.get('desk-lamps')?.own).toBe(7);
  });

  it('refuses to delete, move or re-slug a non-empty category (409) and deletes an empty one', async () => {
    expect(await failure(() => deleteCategory('home'))).toMatchObject({ status: 409 });
    const lamps = await idOf('lamps');
    expect(await failure(() => deleteCategory(lamps))).toMatchObject({ status: 409 });
    const desk = await idOf('desk-lamps');
    expect(await failure(() => updateCategory(desk, { slug: 'reading-lamps' }))).toMatchObject({
      status: 409,
    });
    expect(await failure(() => updateCategory(desk, { parentId: 'toys' }))).toMatchObject({ status: 409 });
    expect(await failure(() => deleteCategory('01ARZ3NDEKTSV4RRFFQ69G5FAV'))).toMatchObject({ status: 404 });
    // An empty category moves, changes slug and goes away; its parent's child count follows.
    const empty = await createCategory({ slug: 'kites', name: 'Kites', parentId: 'toys', position: 0 });
    const moved = await updateCategory(empty.category.id, {
      parentId: 'sports',
      slug: 'sport-kites',
      name: 'Kites!',
    });
    expect(moved.category).toMatchObject({
      parentId: 'sports',
      slug: 'sport-kites',
      depth: 2,
      name: 'Kites!',
    });
    expect((await createProduct(input('sport-kites'))).product.category).toBe('sport-kites');
    expect(await failure(() => createProduct(input('kites')))).toMatchObject({ status: 422 });
    expect(await failure(() => deleteCategory('sports'))).toMatchObject({ status: 409 });
    const spare = await createCategory({ slug: 'spare', name: 'Spare', parentId: 'toys', position: 0 });
    await deleteCategory(spare.category.id);
    expect(await idOf('spare')).toBe('undefined');
    // The slug is free again.
    expect((await createCategory({ slug: 'spare', name: 'Spare', position: 0 })).category.slug).toBe('spare');
  });

  it('never lets a product land in a category deleted at the same moment', async () => {
    const doomed = await createCategory({ slug: 'doomed', name: 'Doomed', position: 0 });
    const [created, deleted] = await Promise.allSettled([
      createProduct(input('doomed')),
      deleteCategory(doomed.category.id),
    ]);
    const list = await listCategories();
    const still = list.items.find((c) => c.slug === 'doomed');
    if (created.status === 'fulfilled') {
      expect(deleted.status).toBe('rejected');
      expect(still?.ownProductCount).toBe(1);
    } else {
      expect(deleted.status).toBe('fulfilled');
      expect(still).toBeUndefined();
    }
  });
});
