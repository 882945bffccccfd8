import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table } from '../core/db.ts';
import {
  ConcurrentUpdate,
  Conflict,
  InvalidInput,
  NotFound,
  PreconditionFailed,
} from '../core/domain-errors.ts';
import {
  type AdminImage,
  type ImageContentType,
  MAX_IMAGES_PER_PRODUCT,
  type ProductImage,
  type RenditionUrls,
} from './images-model.ts';
import { productKey } from './keys.ts';

/**
 * A product's images live on the product item, as a list in display order (`images`): the
 * product's one GetItem (and every listing's Query) reads them with no extra request, and ten
 * images of a few hundred bytes each are far from the 400 KB item limit. Every change is a
 * read, then a write conditioned on the product's `version` (which it bumps): concurrent
 * changes (an admin reordering while the processing marks an image ready) never overwrite
 * each other; the loser re-reads and re-applies, or, holding an `If-Match`, gets a 412.
 */
export interface StoredImage extends AdminImage {
  readonly contentLength: number;
  /** When the presigned upload URL stops working. */
  readonly uploadExpiresAt: string;
}

/** The images a product lists: processed ones only, in order. */
export function listedImages(stored: unknown): ProductImage[] {
  if (!Array.isArray(stored)) return [];
  return (stored as StoredImage[]).flatMap((image) =>
    image.status === 'ready' && image.urls && image.width && image.height
      ? [{ id: image.id, alt: image.alt, width: image.width, height: image.height, urls: image.urls }]
      : [],
  );
}

const adminView = ({
  contentLength: _length,
  uploadExpiresAt: _expires,
  ...image
}: StoredImage): AdminImage => image;

/** Re-reads this often when another writer changed the product in between (without If-Match). */
const ATTEMPTS = 4;

/**
 * Applies `change` to the product's image list: reads the product (consistently), computes the
 * new list (none: nothing to write), writes it if the version is still the one read. `change` throws domain errors for
 * requests it refuses. Answers the new version and what `change` returned.
 */
async function changeImages<T>(
  productId: string,
  change: (images: readonly StoredImage[]) => { images?: StoredImage[]; result: T },
  expectedVersion?: number,
): Promise<{ version: number; result: T }> {
  const { client, tableName } = table();
  for (let attempt = 1; ; attempt++) {
    const out = await client.send(
      new GetCommand({ TableName: tableName, Key: productKey(productId), ConsistentRead: true }),
    );
    if (!out.Item) throw new NotFound(`No product with id ${productId}.`);
    const version = Number(out.Item.version ?? 1);
    if (expectedVersion !== undefined && version !== expectedVersion)
      throw new PreconditionFailed('The product changed since you read it.');
    const { images, result } = change((out.Item.images as StoredImage[] | undefined) ?? []);
    if (!images) return { version, result };
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: productKey(productId),
          UpdateExpression: 'SET images = :images, #version = :next, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: {
            ':images': images,
            ':next': version + 1,
            ':version': version,
            ':now': new Date().toISOString(),
          },
        }),
      );
      return { version: version + 1, result };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (expectedVersion !== undefined)
        throw new PreconditionFailed('The product changed since you read it.');
      if (attempt >= ATTEMPTS) throw new ConcurrentUpdate(error);
    }
  }
}

/** A pending image whose upload URL expired over an hour ago: its upload will never come. */
const abandoned = (image: StoredImage, now: number) =>
  image.status === 'pending' && Date.parse(image.uploadExpiresAt) + 3_600_000 < now;

/** Adds a pending image at the end of the product's list (409 when it has the most it may). */
export async function addPendingImage(
  productId: string,
  image: {
    id: string;
    alt: string;
    contentType: ImageContentType;
    contentLength: number;
    uploadExpiresAt: string;
  },
  expectedVersion?: number,
): Promise<number> {
  const { version } = await changeImages(
    productId,
    (images) => {
      const now = Date.now();
      const kept = images.filter((existing) => !abandoned(existing, now));
      if (kept.length >= MAX_IMAGES_PER_PRODUCT)
        throw new Conflict(`A product has at most ${MAX_IMAGES_PER_PRODUCT} images; delete one first.`);
      const added: StoredImage = { ...image, status: 'pending', createdAt: new Date(now).toISOString() };
      return { images: [...kept, added], result: undefined };
    },
    expectedVersion,
  );
  return version;
}

/** Every image of a product with its processing state, in order (admin). One GetItem. */
export async function listProductImages(productId: string): Promise<AdminImage[]> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: productKey(productId) }));
  if (!out.Item) throw new NotFound(`No product with id ${productId}.`);
  return ((out.Item.images as StoredImage[] | undefined) ?? []).map(adminView);
}

/** Removes an image from the product (404 when it has none of that id); answers the new version. */
export async function removeImage(
  productId: string,
  imageId: string,
  expectedVersion?: number,
): Promise<number> {
  const { version } = await changeImages(
    productId,
    (images) => {
      if (!images.some((image) => image.id === imageId))
        throw new NotFound(`Product ${productId} has no image ${imageId}.`);
      return { images: images.filter((image) => image.id !== imageId), result: undefined };
    },
    expectedVersion,
  );
  return version;
}

/** Puts the product's images in the given order, which must name each of them exactly once. */
export async function reorderImages(
  productId: string,
  imageIds: readonly string[],
  expectedVersion?: number,
): Promise<{ version: number; images: AdminImage[] }> {
  const { version, result } = await changeImages(
    productId,
    (images) => {
      const byId = new Map(images.map((image) => [image.id, image]));
      const ordered = imageIds.flatMap((id) => byId.get(id) ?? []);
      if (
        new Set(imageIds).size !== imageIds.length ||
        ordered.length !== images.length ||
        imageIds.length !== images.length
      )
        throw new InvalidInput('Name every image of the product exactly once.', [
          {
            path: 'body.imageIds',
            message: `Expected a permutation of the product's ${images.length} image ids.`,
          },
        ]);
      return { images: ordered, result: ordered.map(adminView) };
    },
    expectedVersion,
  );
  return { version, images: result };
}

/** What processing made of an upload. */
export type ProcessingOutcome =
  | {
      readonly status: 'ready';
      readonly width: number;
      readonly height: number;
      readonly urls: RenditionUrls;
    }
  | { readonly status: 'rejected'; readonly reason: string };

/** The declared type of a pending image, or undefined when the product or image is gone (deleted meanwhile). */
export async function pendingImage(
  productId: string,
  imageId: string,
): Promise<{ contentType: ImageContentType } | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: productKey(productId), ConsistentRead: true }),
  );
  const image = ((out.Item?.images as StoredImage[] | undefined) ?? []).find((i) => i.id === imageId);
  return image?.status === 'pending' ? { contentType: image.contentType } : undefined;
}

/**
 * Records what processing made of a pending image. Answers false when there is nothing to
 * record it on (the product or the image was deleted meanwhile, or it was already processed:
 * S3 may notify twice), so the caller removes what it wrote.
 */
export async function recordProcessing(
  productId: string,
  imageId: string,
  outcome: ProcessingOutcome,
): Promise<boolean> {
  try {
    const { result } = await changeImages(productId, (images) => {
      const found = images.find((image) => image.id === imageId && image.status === 'pending');
      if (!found) return { result: false };
      const { reason: _reason, ...rest } = found;
      const updated: StoredImage = { ...rest, ...outcome };
      return { images: images.map((image) => (image === found ? updated : image)), result: true };
    });
    return result;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}
