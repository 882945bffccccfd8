import { adminCaller } from '../core/auth.ts';
import { declareEnv } from '../core/config.ts';
import { etag, http, ifMatchVersion, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { deleteImageObjects, IMAGE_ENV } from './image-objects.ts';
import { imagePath } from './images-model.ts';
import { removeImage } from './images-store.ts';

declareEnv(IMAGE_ENV.uploadsBucket);
declareEnv(IMAGE_ENV.renditionsBucket);

/**
 * DELETE /products/{productId}/images/{imageId} (admin): off the product first, then its
 * objects (a processing still running finds the image gone and removes what it wrote).
 */
export const handler = http(async function deleteImage(event) {
  adminCaller(event);
  const { productId, imageId } = parseInput(imagePath, event.pathParameters ?? {}, 'path');
  const version = await removeImage(productId, imageId, ifMatchVersion(event));
  await deleteImageObjects(productId, imageId);
  return noContent({ etag: etag(version) });
});
