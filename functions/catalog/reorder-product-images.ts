import { adminCaller } from '../core/auth.ts';
import { etag, http, ifMatchVersion, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { imageOrderBody } from './images-model.ts';
import { reorderImages } from './images-store.ts';
import { productPath } from './model.ts';

/** PUT /products/{productId}/images/order (admin): the images in this order (each named once). */
export const handler = http(
  async function reorderImagesHandler(event) {
    adminCaller(event);
    const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
    const { imageIds } = parseInput(imageOrderBody, event.jsonBody, 'body');
    const { version, images } = await reorderImages(productId, imageIds, ifMatchVersion(event));
    return ok({ items: images }, { etag: etag(version) });
  },
  { jsonBody: true },
);
