import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listProductsQuery } from './model.ts';
import { listProducts } from './store.ts';

/** GET /products: newest first, optionally by category, paginated with an opaque cursor. */
export const handler = http(async (event) => {
  const query = parseInput(listProductsQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await listProducts(query));
});
