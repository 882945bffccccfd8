import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import { INDEX, table } from '../core/db.ts';
import { badRequest } from '../core/errors.ts';
import { ULID_PATTERN } from '../core/ids.ts';
import type { Category, ListProductsQuery, Product, ProductPage } from './model.ts';

// Key templates of the catalog. See docs/access-patterns.md.
const productKey = (id: string) => ({ pk: `PRODUCT#${id}`, sk: 'PRODUCT' });
const CATALOG_PARTITION = 'CATALOG';
const categoryPartition = (category: Category) => `CATEGORY#${category}`;

interface ProductItem extends Product {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk: string;
  gsi2sk: string;
  entity: 'product';
}

function toItem(product: Product): ProductItem {
  return {
    ...productKey(product.id),
    gsi1pk: CATALOG_PARTITION,
    gsi1sk: product.id,
    gsi2pk: categoryPartition(product.category),
    gsi2sk: product.id,
    entity: 'product',
    ...product,
  };
}

function fromItem(item: Record<string, unknown>): Product {
  const { id, name, description, category, price, currency, stock, createdAt, updatedAt } =
    item as unknown as Product;
  return { id, name, description, category, price, currency, stock, createdAt, updatedAt };
}

/** One product by id, or undefined. One GetItem. */
export async function getProduct(id: string): Promise<Product | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: productKey(id) }));
  return out.Item ? fromItem(out.Item) : undefined;
}

/**
 * Newest products first, optionally in one category. One Query on an index whose sort key
 * is the ULID, so key order is creation order; the cursor is bound to the listing's scope.
 */
export async function listProducts(query: ListProductsQuery): Promise<ProductPage> {
  const { client, tableName } = table();
  const byCategory = query.category !== undefined;
  const index = byCategory ? INDEX.gsi2 : INDEX.gsi1;
  const partition = query.category ? categoryPartition(query.category) : CATALOG_PARTITION;
  const scope = `products:${partition}`;
  let exclusiveStartKey: Record<string, string> | undefined;
  if (query.cursor) {
    const { id } = await decodeCursor(scope, query.cursor);
    if (typeof id !== 'string' || !ULID_PATTERN.test(id))
      throw badRequest('The cursor is not valid for this listing.');
    const position: Record<string, string> = byCategory
      ? { gsi2pk: partition, gsi2sk: id }
      : { gsi1pk: partition, gsi1sk: id };
    exclusiveStartKey = { ...productKey(id), ...position };
  }
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': byCategory ? 'gsi2pk' : 'gsi1pk' },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: query.limit,
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const items = (out.Items ?? []).map(fromItem);
  const last = items.at(-1);
  const nextCursor = out.LastEvaluatedKey && last ? await encodeCursor(scope, { id: last.id }) : null;
  return { items, nextCursor };
}

/** Writes a product as given (seeding and tests; the admin write side adds conditions). */
export async function putProduct(product: Product): Promise<void> {
  const { client, tableName } = table();
  await client.send(new PutCommand({ TableName: tableName, Item: toItem(product) }));
}
