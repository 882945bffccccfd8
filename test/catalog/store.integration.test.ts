import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Category, ListProductsQuery, Product } from '../../functions/catalog/model.ts';
import { getProduct, listProducts, putProduct } from '../../functions/catalog/store.ts';
import { type CursorPosition, encodeCursor } from '../../functions/core/cursor.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import type { HttpError } from '../../functions/core/errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { newId } from '../../functions/core/ids.ts';
import { aProduct, newestFirst, putProducts } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';

const list = (query: Partial<ListProductsQuery> = {}) => listProducts({ limit: 20, ...query });

/** Every id of a listing, page by page, with the page sizes taken from `limits` in turn. */
async function walk(
  category: Category | undefined,
  limits: readonly number[],
): Promise<{ ids: string[]; pages: string[][] }> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const limit = limits[pages.length % limits.length] ?? 20;
    const page = await list({ category, limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
    if (pages.length > 500) throw new Error('pagination does not terminate');
  } while (cursor);
  return { ids: pages.flat(), pages };
}

/** The 400 a listing throws for a bad cursor, as the HTTP stack answers it. */
async function cursorRejection(query: Partial<ListProductsQuery>): Promise<HttpError> {
  try {
    await list(query);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return asHttpError(error);
  }
  throw new Error('the listing accepted the cursor');
}

async function expectBadCursor(query: Partial<ListProductsQuery>): Promise<void> {
  const error = await cursorRejection(query);
  expect(error.statusCode).toBe(400);
  expect(error.errors?.map((e) => e.path)).toEqual(['query.cursor']);
}

/** Flips one character of a base64url string to another base64url character that changes its bits. */
function flip(text: string, index: number): string {
  const char = text[index];
  // 'A' <-> 'g' differ in the top bit of the 6-bit group, so the decoded bytes always change.
  const replacement = char === 'A' ? 'g' : 'A';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

describe('catalog store on DynamoDB Local', () => {
  const CATEGORIES_USED = ['books', 'toys', 'garden'] as const;
  let all: Product[] = [];
  const inCategory = (category: Category) => all.filter((product) => product.category === category);

  beforeAll(async () => {
    await useFreshTable();
    // Interleaved categories, ids generated in order: the unfiltered newest-first order mixes them.
    all = Array.from({ length: 41 }, (_, i) =>
      aProduct({ category: CATEGORIES_USED[i % 3], name: `Product ${i}`, price: i * 100, stock: i }),
    );
    all.push(aProduct({ category: 'music', name: 'The only record' }));
    await Promise.all(all.map((product) => putProduct(product)));
  });

  describe('getProduct', () => {
    it('returns a stored product with exactly the product fields, no table keys', async () => {
      const [first] = all;
      expect(await getProduct(String(first?.id))).toEqual(first);
    });

    it('returns undefined for an id nobody stored', async () => {
      expect(await getProduct(newId())).toBeUndefined();
    });
  });

  describe('listProducts', () => {
    it('lists every product newest first when unfiltered', async () => {
      const page = await list({ limit: 100 });
      expect(page.items.map((p) => p.id)).toEqual(newestFirst(all));
      expect(page.items[0]).toEqual(all.at(-1));
      expect(page.nextCursor).toBeNull();
    });

    it.each(CATEGORIES_USED)(
      'with category=%s returns only that category, newest first',
      async (category) => {
        const page = await list({ category, limit: 100 });
        expect(page.items.every((p) => p.category === category)).toBe(true);
        expect(page.items.map((p) => p.id)).toEqual(newestFirst(inCategory(category)));
        expect(page.nextCursor).toBeNull();
      },
    );

    it('returns a single-product category alone', async () => {
      expect((await list({ category: 'music' })).items.map((p) => p.name)).toEqual(['The only record']);
    });

    it('returns an empty page and no cursor for a category without products', async () => {
      expect(await list({ category: 'beauty' })).toEqual({ items: [], nextCursor: null });
    });

    it.each([1, 2, 7, 13])(
      'returns at most limit=%i items, and a cursor while more remain',
      async (limit) => {
        const page = await list({ limit });
        expect(page.items.map((p) => p.id)).toEqual(newestFirst(all).slice(0, limit));
        expect(page.nextCursor).toEqual(expect.any(String));
      },
    );

    it('walks the whole catalog exactly once for any sequence of page sizes (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<Category | undefined>(undefined, ...CATEGORIES_USED),
          fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 6 }),
          async (category, limits) => {
            const expected = newestFirst(category ? inCategory(category) : all);
            const { ids, pages } = await walk(category, limits);
            expect(new Set(ids).size).toBe(ids.length);
            expect(ids).toEqual(expected);
            // Only the last page may be short (or empty, when the previous page ended exactly at the end).
            for (const [i, page] of pages.slice(0, -1).entries()) {
              expect(page.length).toBe(limits[i % limits.length]);
            }
          },
        ),
        { numRuns: 25 },
      );
    });

    it('hands out no cursor on the last page', async () => {
      const { pages } = await walk('garden', [5]);
      expect(pages.flat()).toHaveLength(inCategory('garden').length);
      expect(await list({ category: 'garden', limit: 100 })).toHaveProperty('nextCursor', null);
    });
  });

  describe('listProducts with a bad cursor', () => {
    let cursor = '';
    let booksCursor = '';
    beforeAll(async () => {
      cursor = String((await list({ limit: 3 })).nextCursor);
      booksCursor = String((await list({ category: 'books', limit: 3 })).nextCursor);
    });

    it('rejects a cursor with a character of its payload flipped', async () => {
      const [payload = '', signature] = cursor.split('.');
      for (const index of [0, Math.floor(payload.length / 2), payload.length - 2]) {
        await expectBadCursor({ cursor: `${flip(payload, index)}.${signature}` });
      }
    });

    it('rejects a cursor with a character of its signature flipped', async () => {
      const [payload, signature = ''] = cursor.split('.');
      for (const index of [0, 5, signature.length - 2]) {
        await expectBadCursor({ cursor: `${payload}.${flip(signature, index)}` });
      }
    });

    it('rejects a cursor whose payload was rewritten to start after another product', async () => {
      const [, signature] = cursor.split('.');
      const target = all[5]?.id;
      const forged = Buffer.from(JSON.stringify({ id: target })).toString('base64url');
      await expectBadCursor({ cursor: `${forged}.${signature}` });
    });

    it('rejects a cursor from one category used on another category', async () => {
      await expectBadCursor({ category: 'toys', cursor: booksCursor });
      await expectBadCursor({ category: 'garden', cursor: booksCursor });
    });

    it('rejects a category cursor on the unfiltered listing, and the reverse', async () => {
      await expectBadCursor({ cursor: booksCursor });
      await expectBadCursor({ category: 'books', cursor });
    });

    it('still accepts each cursor on its own listing', async () => {
      expect((await list({ limit: 3, cursor })).items.map((p) => p.id)).toEqual(newestFirst(all).slice(3, 6));
      expect(
        (await list({ category: 'books', limit: 3, cursor: booksCursor })).items.map((p) => p.id),
      ).toEqual(newestFirst(inCategory('books')).slice(3, 6));
    });

    it('rejects malformed cursors: no dot, garbage, empty halves, extra dots, huge', async () => {
      for (const bad of [
        'nodot',
        'garbage!!',
        '.',
        `${cursor}.`,
        `.${cursor}`,
        `${cursor}.x`,
        'a.b',
        'x'.repeat(5000),
      ]) {
        await expectBadCursor({ cursor: bad });
      }
    });

    it('rejects a correctly signed cursor whose position is not a product id, naming query.cursor', async () => {
      // Proves the scope string below is the one the store signs with: a valid id is accepted.
      const scope = 'products:CATALOG';
      const valid = await encodeCursor(scope, { id: String(all[10]?.id) });
      expect((await list({ limit: 1, cursor: valid })).items.map((p) => p.id)).toEqual([all[9]?.id]);
      const positions: CursorPosition[] = [{ id: 'not-a-ulid' }, { id: 42 }, {}, { other: 'x' }];
      for (const position of positions) {
        await expectBadCursor({ cursor: await encodeCursor(scope, position) });
      }
    });
  });
});

describe('catalog store page sizes at the limit', () => {
  let grocery: Product[] = [];
  beforeAll(async () => {
    await useFreshTable();
    grocery = await putProducts(105, 'grocery');
  });

  it('returns 100 items for limit=100, then the remaining 5 without a cursor', async () => {
    const first = await list({ category: 'grocery', limit: 100 });
    expect(first.items.map((p) => p.id)).toEqual(newestFirst(grocery).slice(0, 100));
    const second = await list({ category: 'grocery', limit: 100, cursor: String(first.nextCursor) });
    expect(second.items.map((p) => p.id)).toEqual(newestFirst(grocery).slice(100));
    expect(second.nextCursor).toBeNull();
  });

  it('returns 1 item for limit=1', async () => {
    const page = await list({ limit: 1 });
    expect(page.items.map((p) => p.id)).toEqual([grocery.at(-1)?.id]);
  });

  it('keeps paging where it left off when newer products are added mid-walk, with no duplicates', async () => {
    const first = await list({ category: 'grocery', limit: 50 });
    const added = await putProducts(3, 'grocery', 'late');
    const second = await list({ category: 'grocery', limit: 100, cursor: String(first.nextCursor) });
    const seen = [...first.items, ...second.items].map((p) => p.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(newestFirst(grocery));
    // A fresh walk from the start sees the new products first.
    expect((await list({ category: 'grocery', limit: 3 })).items.map((p) => p.id)).toEqual(
      newestFirst(added),
    );
  });
});
