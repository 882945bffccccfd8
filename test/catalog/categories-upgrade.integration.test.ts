import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteCategory, listCategories } from '../../functions/catalog/category-store.ts';
import {
  CATALOG_PARTITION,
  CATEGORIES_SEEDED_KEY,
  categoryPartition,
  productKey,
} from '../../functions/catalog/keys.ts';
import { createProduct, deleteProduct, listProducts } from '../../functions/catalog/store.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import { newId } from '../../functions/core/ids.ts';
import { aProduct } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';

/**
 * A shop deployed before categories were data: its products sit on the root's gsi2 partition
 * (`CATEGORY#books` / `<id>`) and no category item counts them.
 */
describe('categories on a table with products from before categories were data', () => {
  let db: Awaited<ReturnType<typeof useFreshTable>>;
  const oldIds: string[] = [];

  /** A product item exactly as the code before categories wrote it. */
  async function putOldProduct(category: string): Promise<string> {
    const id = newId();
    const { name, description, price, currency, stock } = aProduct();
    const now = new Date().toISOString();
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...productKey(id),
          version: 1,
          gsi1pk: CATALOG_PARTITION,
          gsi1sk: id,
          gsi2pk: categoryPartition(category),
          gsi2sk: id,
          entity: 'product',
          id,
          name,
          description,
          category,
          price,
          currency,
          stock,
          createdAt: now,
          updatedAt: now,
        },
      }),
    );
    return id;
  }

  const seededMarker = async () =>
    (await db.client.send(new GetCommand({ TableName: db.tableName, Key: CATEGORIES_SEEDED_KEY }))).Item;
  const books = async () => (await listCategories()).items.find((c) => c.slug === 'books');

  beforeAll(async () => {
    db = await useFreshTable();
    for (let i = 0; i < 3; i++) oldIds.push(await putOldProduct('books'));
    await putOldProduct('garden');
  });

  it('answers the read routes without writing: the listing by category and the tree with counts', async () => {
    // Read-only functions (GET /products, GET /categories) may not write the table on AWS.
    const page = await listProducts({ category: 'books', limit: 10 });
    expect(page.items.map((p) => p.id).sort()).toEqual([...oldIds].sort());
    expect((await books())?.productCount).toBe(3);
    expect(await seededMarker()).toBeUndefined();
  });

  it('seeds the defaults on the first write with the products already in them counted', async () => {
    const { name, description, price, currency, stock } = aProduct();
    const created = await createProduct({ name, description, category: 'books', price, currency, stock });
    expect(await seededMarker()).toBeDefined();
    expect((await books())?.ownProductCount).toBe(4);
    expect((await listCategories()).items.find((c) => c.slug === 'garden')?.ownProductCount).toBe(1);
    await deleteProduct(created.product.id);
  });

  it('counts an old product out when it is deleted, and keeps its category from being deleted meanwhile', async () => {
    await expect(deleteCategory('books')).rejects.toBeInstanceOf(DomainError);
    const [first, ...rest] = oldIds;
    await deleteProduct(String(first));
    expect((await books())?.ownProductCount).toBe(rest.length);
    for (const id of rest) await deleteProduct(id);
    expect((await books())?.ownProductCount).toBe(0);
    await deleteCategory('books');
    expect(await books()).toBeUndefined();
  });
});
