import {
  adminImageListSchema,
  createImageBody,
  imageOrderBody,
  imagePath,
  imageUploadSchema,
} from '../../../functions/catalog/images-model.ts';
import { productPath } from '../../../functions/catalog/model.ts';
import type { RouteDefinition } from '../routes.ts';
import { ifMatchHeaders } from '../schemas.ts';
import { forbidden, invalid, unauthorized } from './responses.ts';

const stale = { description: 'The product changed since the ETag was read.' };
const busy = {
  description: 'Another change of the product’s images happened at the same moment; repeat the request.',
  problems: ['concurrent-update'],
} as const;

/**
 * The routes of product images (issue 22), part of THE route table: the bytes never pass
 * through them. `POST` hands out a presigned S3 PUT; S3 runs the processing function (lib/
 * stacks/media-stack.ts), which lists the image on the product once it has renditions.
 */
export const IMAGE_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'POST',
    path: '/products/{productId}/images',
    id: 'CatalogCreateImageUpload',
    entry: 'functions/catalog/create-image-upload.ts',
    summary:
      'Add an image (admin): a presigned PUT (JPEG, PNG or WebP, at most 10 MB, valid 10 minutes) that S3 holds to the declared type and size',
    tag: 'catalog',
    stack: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    images: 'upload',
    request: { path: productPath, headers: ifMatchHeaders, body: createImageBody },
    responses: {
      201: {
        description:
          'A pending image and where to PUT its bytes (send exactly the headers given). Processing lists it on the product within seconds, or marks it rejected.',
        schema: imageUploadSchema,
        headers: ['etag', 'location'],
      },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such product.' },
      409: {
        description: 'The product has 10 images already, or a concurrent change.',
        problems: ['conflict', 'concurrent-update'],
      },
      412: stale,
    },
  },
  {
    method: 'GET',
    path: '/products/{productId}/images',
    id: 'CatalogListProductImages',
    entry: 'functions/catalog/list-product-images.ts',
    summary:
      'Every image of a product with its processing state: pending, ready or rejected with a reason (admin)',
    tag: 'catalog',
    stack: 'catalog',
    auth: 'admin',
    table: 'read',
    request: { path: productPath },
    responses: {
      200: { description: 'The images, in display order.', schema: adminImageListSchema },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such product.' },
    },
  },
  {
    method: 'PUT',
    path: '/products/{productId}/images/order',
    id: 'CatalogReorderProductImages',
    entry: 'functions/catalog/reorder-product-images.ts',
    summary: 'Put a product’s images in this order, naming each once (admin); If-Match makes it conditional',
    tag: 'catalog',
    stack: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { path: productPath, headers: ifMatchHeaders, body: imageOrderBody },
    responses: {
      200: { description: 'The images in their new order.', schema: adminImageListSchema, headers: ['etag'] },
      400: { description: 'Invalid input, or not every image named exactly once.' },
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such product.' },
      409: busy,
      412: stale,
    },
  },
  {
    method: 'DELETE',
    path: '/products/{productId}/images/{imageId}',
    id: 'CatalogDeleteProductImage',
    entry: 'functions/catalog/delete-product-image.ts',
    summary: 'Remove an image and its renditions (admin); If-Match makes it conditional',
    tag: 'catalog',
    stack: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    images: 'delete',
    request: { path: imagePath, headers: ifMatchHeaders },
    responses: {
      204: { description: 'Removed.', headers: ['etag'] },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such product or image.' },
      409: busy,
      412: stale,
    },
  },
];
