import * as z from 'zod/mini';
import { categorySlug } from '../catalog/category-model.ts';
import { productSchema } from '../catalog/model.ts';
import { optionalQueryInteger, queryInteger } from '../core/validation.ts';
import { MAX_QUERY_WORDS } from './tokens.ts';

/**
 * The search domain: an in-memory index of the catalog in the search function, loaded from a
 * snapshot in the table and kept current from a change log that a stream consumer writes (see
 * docs/performance.md, "Search", for why this design and its limits).
 */

/** What a search document holds of a product: the words, the filters and the sort keys. */
export interface SearchDocument {
  readonly id: string;
  readonly name: string;
  /** The first `MAX_INDEXED_DESCRIPTION` characters only. */
  readonly description: string;
  /** Category ids from the root down to the product's own (filters and facets include ancestors). */
  readonly categoryPath: readonly string[];
  /** Minor units; the lowest variant price once products have variants. */
  readonly price: number;
  readonly inStock: boolean;
  readonly createdAt: string;
  /** Option values (`Red`, `XL`), when the product has options. */
  readonly options?: readonly string[];
}

/** Descriptions are indexed up to this length: the words that matter come first, and snapshots stay small. */
export const MAX_INDEXED_DESCRIPTION = 1000;

export const SEARCH_SORTS = ['relevance', 'price_asc', 'price_desc', 'newest'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;
/** Longer queries are refused (400): nobody types them, and each word costs a lookup. */
export const MAX_QUERY_LENGTH = 200;
const MAX_PRICE = 100_000_000;

export const searchProductsQuery = z
  .strictObject({
    q: z.optional(
      z
        .string()
        .check(
          z.maxLength(MAX_QUERY_LENGTH),
          z.describe(
            `Words to find: each also finds longer words it begins and, from 5 letters on, words one typo away. Only the first ${MAX_QUERY_WORDS} distinct words count; later ones are ignored.`,
          ),
        ),
    ),
    category: z.optional(categorySlug),
    minPrice: optionalQueryInteger(0, MAX_PRICE),
    maxPrice: optionalQueryInteger(0, MAX_PRICE),
    inStock: z.optional(z.enum(['true', 'false'])),
    sort: z._default(z.enum(SEARCH_SORTS), 'relevance'),
    limit: queryInteger(1, MAX_SEARCH_LIMIT, DEFAULT_SEARCH_LIMIT),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  })
  .check(
    z.refine(
      (query) =>
        query.minPrice === undefined || query.maxPrice === undefined || query.minPrice <= query.maxPrice,
      {
        message: 'Must not be above maxPrice.',
        path: ['minPrice'],
      },
    ),
  );
export type SearchProductsQuery = z.infer<typeof searchProductsQuery>;

export const categoryFacetSchema = z.object({ slug: categorySlug, count: z.int().check(z.positive()) });
export const priceFacetSchema = z.object({
  /** Inclusive, minor units. */
  min: z.int().check(z.nonnegative()),
  /** Exclusive; null for the open-ended top bucket. */
  max: z.nullable(z.int().check(z.positive())),
  count: z.int().check(z.positive()),
});

export const searchResultSchema = z.object({
  items: z.array(productSchema),
  /**
   * Counts over every match, not only this page: a category counts its descendants' products;
   * each facet ignores its own filter (the category facet is counted without `category`, the
   * price facet without `minPrice`/`maxPrice`), so a client can offer the alternatives.
   */
  facets: z.object({ category: z.array(categoryFacetSchema), price: z.array(priceFacetSchema) }),
  nextCursor: z.nullable(z.string()),
});
export type SearchResult = z.infer<typeof searchResultSchema>;
export type Facets = SearchResult['facets'];
