import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import {
  batchGet,
  getBothInPartition,
  INDEX,
  isConditionFailure,
  putItems,
  setFields,
  table,
  transactWrite,
  updateItem,
} from '../core/db.ts';
import { InvalidInput, NotFound, PreconditionFailed, ruleViolationAt } from '../core/domain-errors.ts';
import { newId, ULID_PATTERN } from '../core/ids.ts';
import {
  type CategoryRef,
  ensureDefaultCategories,
  productCountUpdate,
  resolveCategory,
} from './category-store.ts';
import { listedImages } from './images-store.ts';
import {
  CATALOG_PARTITION,
  categoryKey,
  categoryPartition,
  categorySortKey,
  categorySubtreePrefix,
  PRODUCT_ENTITY,
  productKey,
} from './keys.ts';
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
  /** The category's id (its slug can change only while it holds no products). */
  categoryId: string;
  entity: typeof PRODUCT_ENTITY;
}

/** A default category: a root whose id is its slug (what seeding and old items assume). */
const rootRef = (slug: string): CategoryRef => ({ id: slug, slug, path: [slug] });

/** The gsi2 keys of a product in a category: the root's partition, the path below it. */
function categoryKeys(ref: CategoryRef, id: string) {
  return {
    gsi2pk: categoryPartition(ref.path[0] ?? ref.id),
    gsi2sk: categorySortKey(ref.path.slice(1), id),
    categoryId: ref.id,
  };
}

function toItem(
  product: ProductFields & { images?: unknown },
  version = 1,
  ref = rootRef(product.category),
): ProductItem {
  // A product's images are written by the image routes only (images-store.ts).
  const { images: _images, ...fields } = product;
  return {
    version,
    ...productKey(product.id),
    gsi1pk: CATALOG_PARTITION,
    gsi1sk: product.id,
    ...categoryKeys(ref, product.id),
    entity: PRODUCT_ENTITY,
    ...fields,
  };
}

/** The category a product write names, or a 422 naming the field. */
async function categoryFor(slug: string): Promise<CategoryRef> {
  // A write path: its function may write, so the defaults are seeded before the first product.
  await ensureDefaultCategories();
  const ref = await resolveCategory(slug);
  if (!ref) throw ruleViolationAt('unknown-category', `No category with slug ${slug}.`, 'body.category');
  return ref;
}

/** A category write failed on its condition: it moved, changed slug or went away meanwhile. */
const categoryChanged = () =>
  ruleViolationAt('unknown-category', 'The category changed meanwhile; try again.', 'body.category');

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

/** The index, partition and sort-key prefix a listing reads; 400 for an unknown category. */
async function listingScope(category: string | undefined) {
  if (category === undefined) return { byCategory: false, partition: CATALOG_PARTITION, prefix: '' };
  const ref = await resolveCategory(category);
  if (!ref)
    throw new InvalidInput(`No category with slug ${category}.`, [
      { path: 'query.category', message: 'No such category.' },
    ]);
  const root = ref.path[0] ?? ref.id;
  return {
    byCategory: true,
    partition: categoryPartition(root),
    prefix: categorySubtreePrefix(ref.path.slice(1)),
  };
}

/**
 * Products newest first, optionally of a category AND its descendants: ONE Query per page, on
 * gsi1 (all) or gsi2 (the root's partition, `begins_with` the path below the root; a subtree's
 * products sort by subcategory, then newest first). The cursor is bound to the listing's scope.
 */
export async function listProducts(query: ListProductsQuery): Promise<ProductPage> {
  const { client, tableName } = table();
  const { byCategory, partition, prefix } = await listingScope(query.category);
  const scope = prefix ? `products:${partition}:${prefix}` : `products:${partition}`;
  let exclusiveStartKey: Record<string, string> | undefined;
  if (query.cursor) {
    const { id, sk } = await decodeCursor(scope, query.cursor);
    // A root's own products have the bare id as sort key (cursors from before carry no `sk`).
    const sortKey = typeof sk === 'string' ? sk : String(id);
    const validSk = sortKey.startsWith(prefix) && sortKey.endsWith(String(id));
    if (typeof id !== 'string' || !ULID_PATTERN.test(id) || !validSk)
      throw new InvalidInput('The cursor is not valid for this listing.', [
        { path: 'query.cursor', message: 'Invalid cursor.' },
      ]);
    const position: Record<string, string> = byCategory
      ? { gsi2pk: partition, gsi2sk: sortKey }
      : { gsi1pk: partition, gsi1sk: id };
    exclusiveStartKey = { ...productKey(id), ...position };
  }
  const key = byCategory ? 'gsi2' : 'gsi1';
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEX[key],
      KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ExpressionAttributeNames: { '#pk': `${key}pk`, ...(prefix ? { '#sk': `${key}sk` } : {}) },
      ExpressionAttributeValues: { ':pk': partition, ...(prefix ? { ':prefix': prefix } : {}) },
      ScanIndexForward: false,
      Limit: query.limit,
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const raw = out.Items ?? [];
  const items = raw.map(fromItem);
  const last = raw.at(-1);
  const nextCursor =
    out.LastEvaluatedKey && last
      ? await encodeCursor(scope, { id: String(last.id), ...(byCategory ? { sk: String(last.gsi2sk) } : {}) })
      : null;
  return { items, nextCursor };
}

/**
 * Every product item as stored, page by page on gsi1 (a Query, newest first): for rebuilding
 * derived data (the search index), never on a request path.
 */
export async function* productItemPages(): AsyncGenerator<Record<string, unknown>[]> {
  const { client, tableName } = table();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.gsi1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': CATALOG_PARTITION },
        ExclusiveStartKey: start,
      }),
    );
    yield out.Items ?? [];
    start = out.LastEvaluatedKey;
  } while (start);
}

/**
 * Counts products written outside the product routes (seeding, the bench) into their (default)
 * categories, one ADD per category.
 */
async function countSeeded(products: readonly ProductFields[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const product of products) counts.set(product.category, (counts.get(product.category) ?? 0) + 1);
  for (const [category, count] of counts)
    await updateItem({
      TableName: table().tableName,
      Key: categoryKey(category),
      UpdateExpression: 'ADD ownProductCount :count',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':count': count },
    });
}

/** Writes a new product as given, in a default category (seeding and tests). */
export async function putProduct(product: ProductFields): Promise<void> {
  // Seeded BEFORE the write: seeding counts the products already there, so after would count twice.
  await ensureDefaultCategories();
  const { client, tableName } = table();
  await client.send(new PutCommand({ TableName: tableName, Item: toItem(product) }));
  await countSeeded([product]);
}

/** Writes many new products as given, in batches, in default categories (seeding, the bench). */
export async function putProducts(
  products: readonly ProductFields[],
  onProgress?: (done: number) => void,
): Promise<void> {
  await ensureDefaultCategories();
  await putItems(
    products.map((product) => ({ ...toItem(product) })),
    onProgress,
  );
  await countSeeded(products);
}

/** A product with its version, for writers that need the ETag. */
export interface VersionedProduct {
  readonly product: Product;
  readonly version: number;
}

/**
 * Creates a product with a new ULID (admin), in an existing category (422 naming
 * `body.category` otherwise): the product and its category's count in ONE transaction, so the
 * count is exact however many products are created at once.
 */
export async function createProduct(input: CreateProductInput): Promise<VersionedProduct> {
  const ref = await categoryFor(input.category);
  const now = new Date().toISOString();
  const product: ProductFields = { id: newId(), ...input, createdAt: now, updatedAt: now };
  try {
    await transactWrite({
      TransactItems: [
        {
          Put: {
            TableName: table().tableName,
            Item: toItem(product, 1, ref),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        productCountUpdate(ref, 1),
      ],
    });
  } catch (error) {
    if (isConditionFailure(error, 1)) throw categoryChanged();
    throw error;
  }
  return { product: { ...product, images: [] }, version: 1 };
}

/** The stored product item, read consistently (writers that move its category need it). */
async function getItem(id: string): Promise<(ProductItem & Record<string, unknown>) | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: productKey(id), ConsistentRead: true }),
  );
  return out.Item as (ProductItem & Record<string, unknown>) | undefined;
}

/** The category a stored product is counted in (items from before categories were data: a root). */
const storedRef = (item: ProductItem): CategoryRef =>
  item.categoryId ? { id: item.categoryId, slug: item.category, path: [] } : rootRef(item.category);

/**
 * Changes the given fields: one conditional UpdateItem, or with a new category a transaction
 * that also moves the product's index keys and the two categories' counts. The product must exist
 * (404), and with `expectedVersion` must not have changed since the caller read it (412).
 */
export async function updateProduct(
  id: string,
  changes: UpdateProductInput,
  expectedVersion?: number,
): Promise<VersionedProduct> {
  const { tableName } = table();
  const { sets, names, values } = setFields({ ...changes, updatedAt: new Date().toISOString() });
  names['#version'] = 'version';
  values[':one'] = 1;
  sets.push('#version = #version + :one');
  let condition = 'attribute_exists(pk)';
  if (expectedVersion !== undefined) {
    condition += ' AND #version = :expected';
    values[':expected'] = expectedVersion;
  }
  let old: ProductItem | undefined;
  let newRef: CategoryRef | undefined;
  if (changes.category) {
    newRef = await categoryFor(changes.category);
    old = await getItem(id);
    if (!old) throw new NotFound(`No product with id ${id}.`);
    if (expectedVersion !== undefined && old.version !== expectedVersion)
      throw new PreconditionFailed('The product changed since you read it.');
    for (const [field, value] of Object.entries(categoryKeys(newRef, id))) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    // Pinned to the version read, so the counts move with exactly that category change.
    condition += ' AND #version = :read';
    values[':read'] = old.version;
  }
  const update = {
    TableName: tableName,
    Key: productKey(id),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  try {
    if (old && newRef) {
      const moves = storedRef(old).id !== newRef.id;
      await transactWrite({
        TransactItems: [
          { Update: { ...update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
          ...(moves ? [productCountUpdate(storedRef(old), -1), productCountUpdate(newRef, 1)] : []),
        ],
      });
      const item = await getItem(id);
      if (!item) throw new NotFound(`No product with id ${id}.`);
      return { product: fromItem(item), version: Number(item.version) };
    }
    const out = await updateItem({
      ...update,
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const item = out.Attributes ?? {};
    return { product: fromItem(item), version: Number(item.version) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (old && !isConditionFailure(error, 0)) throw categoryChanged();
    const item = (error as { Item?: Record<string, unknown> }).Item;
    const gone = old ? !(await getItem(id)) : !item;
    if (gone) throw new NotFound(`No product with id ${id}.`);
    throw new PreconditionFailed('The product changed since you read it.');
  }
}

/**
 * Deletes a product (admin) and counts it out of its category in ONE transaction; 404 when
 * there is none. Orders keep their own snapshots.
 */
export async function deleteProduct(id: string): Promise<void> {
  const item = await getItem(id);
  if (!item) throw new NotFound(`No product with id ${id}.`);
  try {
    await transactWrite({
      TransactItems: [
        {
          Delete: {
            TableName: table().tableName,
            Key: productKey(id),
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': item.version },
          },
        },
        productCountUpdate(storedRef(item), -1),
      ],
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (!(await getItem(id))) throw new NotFound(`No product with id ${id}.`);
    throw new PreconditionFailed('The product changed while it was being deleted; try again.');
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
