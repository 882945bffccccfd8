import type { Product } from '../catalog/model.ts';
import { getProducts } from '../catalog/store.ts';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import { InvalidInput } from '../core/domain-errors.ts';
import { ULID_PATTERN } from '../core/ids.ts';
import { searchDocumentOf } from './documents.ts';
import type { SearchHits, SearchPosition } from './engine.ts';
import { type CategoryMap, liveIndex } from './live-index.ts';
import type { Facets, SearchProductsQuery, SearchResult } from './model.ts';
import { queryTokens } from './tokens.ts';

const unknownCategory = (slug: string) =>
  new InvalidInput(`No category with slug ${slug}.`, [
    { path: 'query.category', message: 'No such category.' },
  ]);
const invalidCursor = () =>
  new InvalidInput('The cursor is not valid for this search.', [
    { path: 'query.cursor', message: 'Invalid cursor.' },
  ]);

/** The category id a slug names; 400 otherwise. */
async function categoryIdOf(categories: CategoryMap, slug: string): Promise<string> {
  const id = await categories.idOfSlug(slug);
  if (id === undefined) throw unknownCategory(slug);
  return id;
}

/**
 * Whether a product as the table has it meets the price and stock filters: the index may not
 * have heard of a change yet, and a page must never contradict the filters it was asked for.
 */
function meetsFilters(product: Product, query: SearchProductsQuery, inStock: boolean | undefined): boolean {
  const doc = searchDocumentOf(product);
  return (
    doc !== undefined &&
    (query.minPrice === undefined || doc.price >= query.minPrice) &&
    (query.maxPrice === undefined || doc.price <= query.maxPrice) &&
    (inStock === undefined || doc.inStock === inStock)
  );
}

async function positionOf(scope: string, cursor: string): Promise<SearchPosition> {
  const { key, id } = await decodeCursor(scope, cursor);
  if (typeof key !== 'number' || !Number.isFinite(key) || typeof id !== 'string' || !ULID_PATTERN.test(id))
    throw invalidCursor();
  return { key, id };
}

function facetsOf(hits: SearchHits, categories: CategoryMap): Facets {
  const category = hits.facets.category
    .flatMap(({ id, count }) => {
      const slug = categories.slugOf(id);
      return slug ? [{ slug, count }] : [];
    })
    .sort((a, b) => b.count - a.count || a.slug.localeCompare(b.slug));
  return { category, price: hits.facets.price };
}

/**
 * Searches the catalog: words (each must match, by prefix or one edit away from 5 letters),
 * filters, an order and a page, with facets over every match. The page's products are read
 * from the table (one BatchGetItem), so they are exactly what GET /products/{id} answers; one
 * removed since the index last heard of it, or no longer within the price and stock filters,
 * is left out (the page may then be short; the cursor still continues it).
 */
export async function searchProducts(query: SearchProductsQuery): Promise<SearchResult> {
  const { index, categories } = await liveIndex();
  const tokens = queryTokens(query.q ?? '');
  const categoryId =
    query.category === undefined ? undefined : await categoryIdOf(categories, query.category);
  const inStock = query.inStock === undefined ? undefined : query.inStock === 'true';
  const scope = `search:${JSON.stringify([tokens, categoryId, query.minPrice, query.maxPrice, inStock, query.sort])}`;
  const after = query.cursor ? await positionOf(scope, query.cursor) : undefined;
  const hits = index.search({
    tokens,
    categoryId,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    inStock,
    sort: query.sort,
    limit: query.limit,
    after,
  });
  const products = hits.ids.length > 0 ? await getProducts(hits.ids, { consistent: false }) : new Map();
  return {
    items: hits.ids.flatMap((id) => {
      const found = products.get(id);
      return found && meetsFilters(found.product, query, inStock) ? [found.product] : [];
    }),
    facets: facetsOf(hits, categories),
    nextCursor: hits.next ? await encodeCursor(scope, { key: hits.next.key, id: hits.next.id }) : null,
  };
}
