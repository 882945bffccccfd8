import { notFound } from '../core/errors.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { productPath } from './model.ts';
import { getProduct } from './store.ts';

/** GET /products/{productId}: one product, or 404. */
export const handler = http(async (event) => {
  const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
  const product = await getProduct(productId);
  if (!product) throw notFound(`No product with id ${productId}.`);
  return ok(product);
});
