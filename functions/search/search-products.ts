import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { searchProductsQuery } from './model.ts';
import { searchProducts } from './search.ts';

/** GET /products/search: full-text search with filters, facets and an opaque cursor. */
export const handler = http(async function searchProductsHandler(event) {
  const query = parseInput(searchProductsQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await searchProducts(query));
});
