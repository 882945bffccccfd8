import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import {
  batchGet,
  getBothInPartition,
  INDEX,
  isConditionFailure,
  putItems,
  setFields,
  table,
} from '../core/db.ts';
import { InvalidInput, NotFound, PreconditionFailed } from '../core/domain-errors.ts';
import { newId, ULID_PATTERN } from '../core/ids.ts';
import { listedImages } from './images-store.ts';
import { CATALOG_PARTITION, categoryPartition, productKey } from './keys.ts';
import type {
  CreateProductInput,
  ListProductsQuery,
  Product,
  ProductFields,
  ProductPage,
  UpdateProductInput,
} from './model.ts';

interface ProductItem extends ProductFields {
  /** Bumped by every write; conditional writes on it make concurrent admin edits safe. */
  version: number;
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk: string;
  gsi2sk: string;
  entity: 'product';
}

function toItem(product: ProductFields & { images?: unknown }, version = 1): ProductItem {
  // A product's images are written by the image routes only (images-store.ts).
  const { images: _images, ...fields } = product;
  return {
    version,
    ...productKey(product.id),
    gsi1pk: CATALOG_PARTITION,
    gsi1sk: product.id,
    gsi2pk: categoryPartition(product.category),
    gsi2sk: product.id,
    entity: 'product',
    ...fields,
  };
}

function fromItem(item: Record<string, unknown>): Product {
  const { id, name, description, category, price, currency, stock, createdAt, updatedAt } =
    item as unknown as Product;
  const images = listedImages(item.images);
  return { id, name, description, category, price, currency, stock, images, createdAt, updatedAt };
}

/**
 * A product and another domain's item of its partition (`sk`, which must sort after
 * `PRODUCT`) in ONE Query; `product` is undefined when there is no such product.
 */
export async function getProductWith(
  id: string,
  sk: string,
): Promise<{ product: Product | undefined; item: Record<string, unknown> | undefined }> {
  const { pk, sk: productSk } = productKey(id);
  const { from, to } = await getBothInPartition(pk, productSk, sk);
  return { product: from ? fromItem(from) : undefined, item: to };
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
      throw new InvalidInput('The cursor is not valid for this listing.', [
        { path: 'query.cursor', message: 'Invalid cursor.' },
      ]);
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
export async function putProduct(product: ProductFields): Promise<void> {
  const { client, tableName } = table();
  await client.send(new PutCommand({ TableName: tableName, Item: toItem(product) }));
}

/** Writes many products as given, in batches (seeding and the bench's large catalogs). */
export function putProducts(
  products: readonly ProductFields[],
  onProgress?: (done: number) => void,
): Promise<void> {
  return putItems(
    products.map((product) => ({ ...toItem(product) })),
    onProgress,
  );
}

/** A product with its version, for writers that need the ETag. */
export interface VersionedProduct {
  readonly product: Product;
  readonly version: number;
}

/** Creates a product with a new ULID (admin). */
export async function createProduct(input: CreateProductInput): Promise<VersionedProduct> {
  const { client, tableName } = table();
  const now = new Date().toISOString();
  const product: ProductFields = { id: newId(), ...input, createdAt: now, updatedAt: now };
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: toItem(product),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return { product: { ...product, images: [] }, version: 1 };
}

/**
 * Changes the given fields in one conditional UpdateItem: the product must exist (404), and
 * with `expectedVersion` must not have changed since the caller read it (412). The category
 * index key moves with the category.
 */
export async function updateProduct(
  id: string,
  changes: UpdateProductInput,
  expectedVersion?: number,
): Promise<VersionedProduct> {
  const { client, tableName } = table();
  const { sets, names, values } = setFields({ ...changes, updatedAt: new Date().toISOString() });
  names['#version'] = 'version';
  values[':one'] = 1;
  sets.push('#version = #version + :one');
  if (changes.category) {
    names['#gsi2pk'] = 'gsi2pk';
    values[':gsi2pk'] = categoryPartition(changes.category);
    sets.push('#gsi2pk = :gsi2pk');
  }
  let condition = 'attribute_exists(pk)';
  if (expectedVersion !== undefined) {
    condition += ' AND #version = :expected';
    values[':expected'] = expectedVersion;
  }
  try {
    const out = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: productKey(id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const item = out.Attributes ?? {};
    return { product: fromItem(item), version: Number(item.version) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const old = (error as { Item?: Record<string, unknown> }).Item;
    if (!old) throw new NotFound(`No product with id ${id}.`);
    throw new PreconditionFailed('The product changed since you read it.');
  }
}

/** Deletes a product (admin); 404 when there is none. Orders keep their own snapshots. */
export async function deleteProduct(id: string): Promise<void> {
  const { client, tableName } = table();
  try {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: productKey(id),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new NotFound(`No product with id ${id}.`);
    throw error;
  }
}

/** A product and its version (for the ETag of admin reads). */
export async function getVersionedProduct(id: string): Promise<VersionedProduct | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: productKey(id) }));
  return out.Item ? { product: fromItem(out.Item), version: Number(out.Item.version ?? 1) } : undefined;
}

/**
 * Products by id, with their versions; one BatchGetItem (ids are at most 100). Consistent by
 * default (writers price and reserve from it); read-only listings pass `consistent: false`,
 * which costs half.
 */
export async function getProducts(
  ids: readonly string[],
  options: { consistent?: boolean } = {},
): Promise<Map<string, VersionedProduct>> {
  const keys = [...new Set(ids)].map((id) => productKey(id));
  const items = await batchGet(keys, { consistent: options.consistent ?? true });
  return new Map(
    items.map((item) => [String(item.id), { product: fromItem(item), version: Number(item.version ?? 1) }]),
  );
}

/**
 * A transaction item that takes `quantity` out of stock, only if that much is there and the
 * product is still the version the order priced. Stock can therefore never go below zero.
 */
export function reserveStock(id: string, quantity: number, version: number) {
  return {
    Update: {
      TableName: table().tableName,
      Key: productKey(id),
      UpdateExpression: 'SET stock = stock - :quantity',
      ConditionExpression: 'attribute_exists(pk) AND stock >= :quantity AND #version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':quantity': quantity, ':version': version },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
}

/** A transaction item that puts `quantity` back into stock (the product must still exist). */
export function releaseStock(id: string, quantity: number) {
  return {
    Update: {
      TableName: table().tableName,
      Key: productKey(id),
      UpdateExpression: 'SET stock = stock + :quantity',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':quantity': quantity },
    },
  };
}
