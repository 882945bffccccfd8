import type { S3Event } from 'aws-lambda';
import { declareEnv, requireEnv } from '../core/config.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import {
  deleteImageObjects,
  deleteOriginal,
  IMAGE_ENV,
  readOriginal,
  renditionUrls,
  writeRenditions,
} from './image-objects.ts';
import { processImage } from './image-processing.ts';
import { MAX_IMAGE_BYTES } from './images-model.ts';
import { pendingImage, recordProcessing } from './images-store.ts';
import { parseOriginalKey } from './keys.ts';

declareEnv(IMAGE_ENV.renditionsBucket);
declareEnv(IMAGE_ENV.imagesDomain);
declareEnv(IMAGE_ENV.uploadsBucket);

/** One uploaded original: checked, rendered, recorded on its product, then deleted. */
async function processUpload(bucket: string, key: string): Promise<string> {
  const ids = parseOriginalKey(key);
  if (!ids) {
    logger.warn('Not an original image key; deleted', { bucket, key });
    await deleteOriginal(bucket, key);
    return 'ignored';
  }
  const { productId, imageId } = ids;
  const pending = await pendingImage(productId, imageId);
  if (!pending) {
    // Deleted meanwhile, or processed already (S3 may notify twice).
    await deleteOriginal(bucket, key);
    return 'gone';
  }
  const body = await readOriginal(bucket, key);
  const processed =
    body.length > MAX_IMAGE_BYTES
      ? ({ ok: false, reason: 'The upload is larger than 10 MB.' } as const)
      : await processImage(body, pending.contentType);
  if (processed.ok) await writeRenditions(productId, imageId, processed.renditions);
  const recorded = await recordProcessing(
    productId,
    imageId,
    processed.ok
      ? {
          status: 'ready',
          width: processed.width,
          height: processed.height,
          urls: renditionUrls(productId, imageId),
        }
      : { status: 'rejected', reason: processed.reason },
  );
  if (!recorded) await deleteImageObjects(productId, imageId);
  else await deleteOriginal(bucket, key);
  logger.info('Image processed', {
    productId,
    imageId,
    outcome: processed.ok ? 'ready' : 'rejected',
    recorded,
  });
  return processed.ok ? 'ready' : 'rejected';
}

/**
 * Runs on S3's ObjectCreated notifications of the uploads bucket (an asynchronous invocation:
 * a thrown error is retried twice, then the event goes to the function's dead-letter queue).
 * A refused image is an outcome (`rejected` with a reason on the product), not an error.
 */
export const handler = lambda(async function processImages(event: S3Event) {
  requireEnv(IMAGE_ENV.renditionsBucket);
  const outcomes: string[] = [];
  for (const record of event.Records ?? []) {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    outcomes.push(await processUpload(record.s3.bucket.name, key));
  }
  return { outcomes };
});
