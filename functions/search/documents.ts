import { categoryPathOfKeys } from '../catalog/keys.ts';
import { MAX_INDEXED_DESCRIPTION, type SearchDocument } from './model.ts';

/** Option values of a product with options (`[{name, values}]`), none otherwise. */
function optionValues(options: unknown): string[] | undefined {
  if (!Array.isArray(options)) return undefined;
  const values = options.flatMap((option: { values?: unknown }) =>
    Array.isArray(option?.values) ? option.values.filter((value) => typeof value === 'string') : [],
  );
  return values.length > 0 ? values : undefined;
}

/**
 * THE mapping from a product item (a stream image or a table item) to what search holds of it;
 * undefined for an item that is not a well-formed product. Once products have variants, price is
 * the lowest variant price and inStock whether any variant has stock: this is the one place to say so.
 */
export function searchDocumentOf(item: Record<string, unknown>): SearchDocument | undefined {
  const { id, name, description, category, price, stock, createdAt } = item;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof category !== 'string') return undefined;
  if (typeof price !== 'number' || typeof stock !== 'number' || typeof createdAt !== 'string')
    return undefined;
  const options = optionValues(item.options);
  return {
    id,
    name,
    description: typeof description === 'string' ? description.slice(0, MAX_INDEXED_DESCRIPTION) : '',
    // Products from before categories were data sit in a default category, whose id is its slug.
    categoryPath: categoryPathOfKeys(item.gsi2pk, item.gsi2sk) ?? [category],
    price,
    inStock: stock > 0,
    createdAt,
    ...(options ? { options } : {}),
  };
}

/** Whether two documents differ in anything search shows (a stock change within "in stock" does not). */
export function sameDocument(a: SearchDocument | undefined, b: SearchDocument | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
