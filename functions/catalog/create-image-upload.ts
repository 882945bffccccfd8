import { adminCaller } from '../core/auth.ts';
import { declareEnv } from '../core/config.ts';
import { created, etag, http, ifMatchVersion } from '../core/http.ts';
import { newId } from '../core/ids.ts';
import { parseInput } from '../core/validation.ts';
import { IMAGE_ENV, presignOriginalUpload } from './image-objects.ts';
import { createImageBody } from './images-model.ts';
import { addPendingImage } from './images-store.ts';
import { productPath } from './model.ts';

declareEnv(IMAGE_ENV.uploadsBucket);

/**
 * POST /products/{productId}/images (admin): adds a pending image and answers a presigned PUT
 * for its bytes, which go straight to S3; processing lists it on the product.
 */
export const handler = http(
  async function createImageUpload(event) {
    adminCaller(event);
    const { productId } = parseInput(productPath, event.pathParameters ?? {}, 'path');
    const input = parseInput(createImageBody, event.jsonBody, 'body');
    const imageId = newId();
    const { url, expiresAt } = await presignOriginalUpload(
      productId,
      imageId,
      input.contentType,
      input.contentLength,
    );
    const version = await addPendingImage(
      productId,
      {
        id: imageId,
        alt: input.alt,
        contentType: input.contentType,
        contentLength: input.contentLength,
        uploadExpiresAt: expiresAt,
      },
      ifMatchVersion(event),
    );
    const headers = { 'content-type': input.contentType, 'content-length': String(input.contentLength) };
    return created(
      { imageId, upload: { url, method: 'PUT', headers, expiresAt } },
      { etag: etag(version), location: `/products/${productId}/images` },
    );
  },
  { jsonBody: true },
);
