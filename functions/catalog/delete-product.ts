import { adminCaller } from '../core/auth.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { productPath } from './model.ts';
import { deleteProduct } from './store.ts';

/** DELETE /products/{productId} (admin). */
export const handler = http(async (event) => {
  adminCaller(event);
  const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
  await deleteProduct(productId);
  return noContent();
});
