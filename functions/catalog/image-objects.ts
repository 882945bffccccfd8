import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AWS_CLIENT_CONFIG } from '../core/client-timeouts.ts';
import { requireEnv } from '../core/config.ts';
import {
  type ImageContentType,
  RENDITION_WIDTHS,
  type RenditionUrls,
  UPLOAD_URL_SECONDS,
} from './images-model.ts';
import { originalKey, renditionKey } from './keys.ts';

/** Variables of the image functions (set by lib/stacks/media-stack.ts). */
export const IMAGE_ENV = {
  uploadsBucket: 'UPLOADS_BUCKET',
  renditionsBucket: 'RENDITIONS_BUCKET',
  /** The CloudFront distribution's domain name (`d123.cloudfront.net`). */
  imagesDomain: 'IMAGES_DOMAIN',
} as const;

let client: S3Client | undefined;
/**
 * One S3 client per environment. Checksums only where S3 requires them: by default the SDK
 * puts the CRC32 of the (empty) body into presigned URLs, which S3 then holds the upload to.
 */
const s3 = () => {
  client ??= new S3Client({ ...AWS_CLIENT_CONFIG, requestChecksumCalculation: 'WHEN_REQUIRED' });
  return client;
};

/**
 * A presigned PUT of one original that signs its type and exact size: S3 refuses an upload of
 * any other type or size (the signature no longer matches), and any upload after `expiresAt`.
 */
export async function presignOriginalUpload(
  productId: string,
  imageId: string,
  contentType: ImageContentType,
  contentLength: number,
): Promise<{ url: string; expiresAt: string }> {
  const signedAt = new Date();
  const url = await getSignedUrl(
    s3(),
    new PutObjectCommand({
      Bucket: requireEnv(IMAGE_ENV.uploadsBucket),
      Key: originalKey(productId, imageId),
      ContentType: contentType,
      ContentLength: contentLength,
    }),
    {
      expiresIn: UPLOAD_URL_SECONDS,
      signingDate: signedAt,
      signableHeaders: new Set(['content-type', 'content-length']),
    },
  );
  return { url, expiresAt: new Date(signedAt.getTime() + UPLOAD_URL_SECONDS * 1000).toISOString() };
}

/** The bytes of an uploaded original. */
export async function readOriginal(bucket: string, key: string): Promise<Buffer> {
  const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
}

/** Renditions are immutable (image ids are never reused): cached for a year everywhere. */
const RENDITION_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Writes an image's renditions to the renditions bucket. */
export async function writeRenditions(
  productId: string,
  imageId: string,
  renditions: readonly { width: number; body: Buffer }[],
): Promise<void> {
  const bucket = requireEnv(IMAGE_ENV.renditionsBucket);
  await Promise.all(
    renditions.map(({ width, body }) =>
      s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: renditionKey(productId, imageId, width),
          Body: body,
          ContentType: 'image/webp',
          CacheControl: RENDITION_CACHE_CONTROL,
        }),
      ),
    ),
  );
}

/** Deletes an image's objects: its original (if still there) and its renditions. */
export async function deleteImageObjects(productId: string, imageId: string): Promise<void> {
  // One DeleteObject each (DeleteObjects needs a checksum of its XML body, and these are four).
  const renditions = requireEnv(IMAGE_ENV.renditionsBucket);
  await Promise.all([
    deleteOriginal(requireEnv(IMAGE_ENV.uploadsBucket), originalKey(productId, imageId)),
    ...RENDITION_WIDTHS.map((width) =>
      s3().send(
        new DeleteObjectCommand({ Bucket: renditions, Key: renditionKey(productId, imageId, width) }),
      ),
    ),
  ]);
}

/** Deletes one uploaded original (after processing: originals may carry EXIF GPS). */
export async function deleteOriginal(bucket: string, key: string): Promise<void> {
  await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/**
 * The public URLs of an image's renditions: `https://<distribution>/<key>`; `http` for a
 * loopback address (the local runtime serves renditions from its S3 without TLS).
 */
export function renditionUrls(productId: string, imageId: string): RenditionUrls {
  const domain = requireEnv(IMAGE_ENV.imagesDomain);
  const scheme = /^(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(domain) ? 'http' : 'https';
  const url = (width: number) => `${scheme}://${domain}/${renditionKey(productId, imageId, width)}`;
  return { '200': url(200), '800': url(800), '1600': url(1600) };
}
