import * as z from 'zod/mini';
import { ULID_PATTERN } from '../core/ids.ts';

/*
 * Product images: uploaded straight to S3 with a presigned PUT (never through Lambda's 6 MB
 * payload), processed by an S3-triggered function into WebP renditions that CloudFront serves.
 */

/** Media types an upload may declare; the processing checks the bytes, not this. */
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageContentType = (typeof IMAGE_CONTENT_TYPES)[number];
/** The largest upload (bytes): the presigned URL signs the exact size, so S3 refuses any other. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Widths of the WebP renditions (px); a smaller original is never upscaled. */
export const RENDITION_WIDTHS = [200, 800, 1600] as const;
/** Images one product may have (pending and rejected ones included, until deleted). */
export const MAX_IMAGES_PER_PRODUCT = 10;
/** How long a presigned upload URL works. */
export const UPLOAD_URL_SECONDS = 10 * 60;
/**
 * The most pixels an image may have (width x height, 40 MP: a 7,700 x 5,200 photo): a larger
 * one is refused before it is decoded, so a small file that declares huge dimensions (a
 * decompression bomb) never takes the function's memory.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

export const imageId = z.string().check(z.regex(ULID_PATTERN, 'Must be an image id (ULID).'));
const productIdField = z.string().check(z.regex(ULID_PATTERN, 'Must be a product id (ULID).'));

export const imagePath = z.strictObject({ productId: productIdField, imageId });

export const createImageBody = z.strictObject({
  contentType: z.enum(IMAGE_CONTENT_TYPES),
  contentLength: z.int().check(z.minimum(1), z.maximum(MAX_IMAGE_BYTES, 'At most 10 MB (10485760 bytes).')),
  alt: z._default(z.string().check(z.maxLength(300)), ''),
});
export type CreateImageInput = z.infer<typeof createImageBody>;

export const imageOrderBody = z.strictObject({
  imageIds: z.array(imageId).check(z.minLength(1), z.maxLength(MAX_IMAGES_PER_PRODUCT)),
});

/** URLs of an image's renditions, by width. */
export const renditionUrlsSchema = z.object({ '200': z.url(), '800': z.url(), '1600': z.url() });
export type RenditionUrls = z.infer<typeof renditionUrlsSchema>;

/** A processed image, as a product lists it (in display order). */
export const productImageSchema = z.object({
  id: imageId,
  alt: z.string(),
  /** Of the original, upright (EXIF orientation applied). */
  width: z.int(),
  height: z.int(),
  urls: renditionUrlsSchema,
});
export type ProductImage = z.infer<typeof productImageSchema>;

/**
 * `pending`: waiting for its upload or being processed; `ready`: listed on the product;
 * `rejected`: not a JPEG, PNG or WebP, not the declared type, too many pixels or unreadable
 * (`reason` says which). Pending images whose upload URL expired over an hour ago are dropped
 * when the next image is added.
 */
export const IMAGE_STATUSES = ['pending', 'ready', 'rejected'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** An image with its processing state (admin). */
export const adminImageSchema = z.object({
  id: imageId,
  alt: z.string(),
  status: z.enum(IMAGE_STATUSES),
  contentType: z.enum(IMAGE_CONTENT_TYPES),
  createdAt: z.iso.datetime(),
  reason: z.optional(z.string()),
  width: z.optional(z.int()),
  height: z.optional(z.int()),
  urls: z.optional(renditionUrlsSchema),
});
export type AdminImage = z.infer<typeof adminImageSchema>;

export const adminImageListSchema = z.object({ items: z.array(adminImageSchema) });

export const imageUploadSchema = z.object({
  imageId,
  upload: z.object({
    url: z.url(),
    method: z.literal('PUT'),
    /** Send exactly these (a browser sets `content-length` itself from the body). */
    headers: z.object({ 'content-type': z.enum(IMAGE_CONTENT_TYPES), 'content-length': z.string() }),
    expiresAt: z.iso.datetime(),
  }),
});
export type ImageUpload = z.infer<typeof imageUploadSchema>;
