import { searchProductsQuery, searchResultSchema } from '../../../functions/search/model.ts';
import type { RouteDefinition } from '../routes.ts';

/** Catalog search. Part of THE route table (lib/api/routes.ts). */
export const SEARCH_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/products/search',
    id: 'SearchSearchProducts',
    stack: 'catalog',
    entry: 'functions/search/search-products.ts',
    summary:
      'Search products: words (prefix and one-typo tolerant), category with descendants, price, stock; facets',
    tag: 'catalog',
    auth: 'public',
    table: 'read',
    secrets: ['cursor'],
    request: { query: searchProductsQuery },
    responses: {
      200: {
        description: 'A page of matches, best first unless sorted otherwise, and facets.',
        schema: searchResultSchema,
      },
      400: { description: 'Invalid query, unknown category, minPrice above maxPrice, or a bad cursor.' },
    },
  },
];
