import type { Category, Product } from '../../functions/catalog/model.ts';
import { putProduct } from '../../functions/catalog/store.ts';
import { newId } from '../../functions/core/ids.ts';

/** A valid product with a fresh ULID; override any field. */
export function aProduct(overrides: Partial<Product> = {}): Product {
  const now = new Date().toISOString();
  return {
    id: newId(),
    name: 'Kettle',
    description: 'Boils water.',
    category: 'home',
    price: 2999,
    currency: 'EUR',
    stock: 5,
    images: [],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A valid product (see aProduct), stored in the table. */
export async function storedProduct(overrides: Partial<Product> = {}): Promise<Product> {
  const product = aProduct(overrides);
  await putProduct(product);
  return product;
}

/**
 * Stores `count` products of a category, oldest first (ids are generated in order, so the
 * last one is the newest). Writes run concurrently; the ids fix the order, not the writes.
 */
export async function putProducts(
  count: number,
  category: Category,
  namePrefix: string = category,
): Promise<Product[]> {
  const products = Array.from({ length: count }, (_, i) =>
    aProduct({ category, name: `${namePrefix} ${i}` }),
  );
  for (let i = 0; i < products.length; i += 25) {
    await Promise.all(products.slice(i, i + 25).map((product) => putProduct(product)));
  }
  return products;
}

/** Ids newest first, as a listing should return them. */
export const newestFirst = (products: readonly Product[]): string[] =>
  products.map((product) => product.id).reverse();
