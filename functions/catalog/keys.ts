/*
 * Key templates of the catalog, the only place they are spelled: a product is found by id, all
 * products newest first on gsi1 (`CATALOG`), a category subtree's on gsi2 (partition of the
 * root category, sort key prefixed by the path below the root). Categories live in one small
 * partition (`CATEGORIES`) with their slug items. See docs/access-patterns.md.
 */

export const productKey = (id: string) => ({ pk: `PRODUCT#${id}`, sk: 'PRODUCT' });
/** The `entity` of a product item (stream consumers filter on it). */
export const PRODUCT_ENTITY = 'product';
export const CATALOG_PARTITION = 'CATALOG';

/** The gsi2 partition of every product under the root category `rootId`. */
export const categoryPartition = (rootId: string) => `CATEGORY#${rootId}`;

/**
 * The gsi2 sort key of a product: the category ids below the root, each followed by `/`, then
 * the product id. A product of a root category keeps the plain id (as before categories were
 * data), and `begins_with(<below>/)` selects a subtree.
 */
export const categorySortKey = (below: readonly string[], productId: string) =>
  [...below, productId].join('/');
/** The prefix of the gsi2 sort keys of a subtree (empty for a root: the whole partition). */
export const categorySubtreePrefix = (below: readonly string[]) =>
  below.length === 0 ? '' : `${below.join('/')}/`;

/**
 * A product's category path (ids from the root down to its own category) read back from its
 * gsi2 keys, or undefined when they are not a category's.
 */
export function categoryPathOfKeys(gsi2pk: unknown, gsi2sk: unknown): string[] | undefined {
  if (typeof gsi2pk !== 'string' || typeof gsi2sk !== 'string' || !gsi2pk.startsWith('CATEGORY#'))
    return undefined;
  return [gsi2pk.slice('CATEGORY#'.length), ...gsi2sk.split('/').slice(0, -1)];
}

export const CATEGORIES_PARTITION = 'CATEGORIES';
export const categoryKey = (id: string) => ({ pk: CATEGORIES_PARTITION, sk: `CATEGORY#${id}` });
export const CATEGORY_SK_PREFIX = 'CATEGORY#';
/** Holds a slug for one category: its conditional put makes slugs unique. */
export const categorySlugKey = (slug: string) => ({ pk: CATEGORIES_PARTITION, sk: `SLUG#${slug}` });
/** Written with the default categories, once: seeding is idempotent on it. */
export const CATEGORIES_SEEDED_KEY = { pk: CATEGORIES_PARTITION, sk: 'SEEDED' };

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
