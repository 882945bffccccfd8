import type { Category } from './model.ts';

/*
 * Key templates of the catalog, the only place they are spelled: a product is found by id, all
 * products newest first on gsi1 (`CATALOG`), one category's on gsi2. See docs/access-patterns.md.
 */

export const productKey = (id: string) => ({ pk: `PRODUCT#${id}`, sk: 'PRODUCT' });
export const CATALOG_PARTITION = 'CATALOG';
export const categoryPartition = (category: Category) => `CATEGORY#${category}`;

/**
 * The key of an item another domain keeps in a product's partition, next to the product (the
 * recommendations' co-purchase counts), so that one Query reads both. `sk` is that domain's.
 */
export const productScopedKey = (id: string, sk: string): { pk: string; sk: string } => ({
  pk: productKey(id).pk,
  sk,
});

/*
 * Object keys of product images. An upload lands at its original's key in the uploads bucket
 * (the processing function parses product and image ids back out of it); renditions are
 * immutable, since an image id is never reused.
 */
export const ORIGINALS_PREFIX = 'originals/';
export const originalKey = (productId: string, imageId: string) =>
  `${ORIGINALS_PREFIX}${productId}/${imageId}`;
/** The product and image ids of an original's key, or undefined for any other key. */
export function parseOriginalKey(key: string): { productId: string; imageId: string } | undefined {
  const match = /^originals\/([0-9A-HJKMNP-TV-Z]{26})\/([0-9A-HJKMNP-TV-Z]{26})$/.exec(key);
  return match?.[1] && match[2] ? { productId: match[1], imageId: match[2] } : undefined;
}
export const renditionKey = (productId: string, imageId: string, width: number) =>
  `products/${productId}/${imageId}/${width}.webp`;
