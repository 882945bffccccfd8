import { productPath } from '../catalog/model.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { relatedProductsQuery } from './model.ts';
import { relatedProducts } from './store.ts';

/** GET /products/{productId}/related: products most often bought together with this one (404 if none). */
export const handler = http(async (event) => {
  const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
  const { limit } = parseInput(relatedProductsQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await relatedProducts(productId, limit));
});
