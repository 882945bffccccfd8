import { adminCaller } from '../core/auth.ts';
import { badRequest } from '../core/errors.ts';
import { etag, http, ifMatchVersion, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { productPath, updateProductBody } from './model.ts';
import { updateProduct } from './store.ts';

/** PATCH /products/{productId} (admin): changes some fields; `If-Match` makes it conditional. */
export const handler = http(
  async (event) => {
    adminCaller(event);
    const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
    const changes = parseInput(updateProductBody, event.jsonBody, 'body');
    if (Object.keys(changes).length === 0) throw badRequest('Send at least one field to change.');
    const expected = ifMatchVersion(event);
    const { product, version } = await updateProduct(productId, changes, expected);
    return ok(product, { etag: etag(version) });
  },
  { jsonBody: true },
);
