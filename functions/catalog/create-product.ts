import { adminCaller } from '../core/auth.ts';
import { created, etag, http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { createProductBody } from './model.ts';
import { createProduct } from './store.ts';

/** POST /products (admin): adds a product to the catalog. */
export const handler = http(
  async (event) => {
    adminCaller(event);
    const input = parseInput(createProductBody, event.jsonBody, 'body');
    const { product, version } = await createProduct(input);
    return created(product, { etag: etag(version), location: `/products/${product.id}` });
  },
  { jsonBody: true },
);
