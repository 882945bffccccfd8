import { adminCaller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listProductImages } from './images-store.ts';
import { productPath } from './model.ts';

/** GET /products/{productId}/images (admin): every image with its processing state, in order. */
export const handler = http(async function listImages(event) {
  adminCaller(event);
  const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
  return ok({ items: await listProductImages(productId) });
});
