import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { popularProductsQuery } from './model.ts';
import { popularProducts } from './store.ts';

/** GET /products/popular: best sellers by units in the last 7 or 30 days, overall or in one category. */
export const handler = http(async (event) => {
  const { category, window, limit } = parseInput(
    popularProductsQuery,
    event.queryStringParameters ?? {},
    'query',
  );
  return ok(await popularProducts(category, window, limit));
});
