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
