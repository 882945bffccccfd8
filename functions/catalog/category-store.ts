import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { INDEX, isConditionFailure, queryAll, table, transactWrite } from '../core/db.ts';
import { Conflict, NotFound, PreconditionFailed, ruleViolationAt } from '../core/domain-errors.ts';
import { newId } from '../core/ids.ts';
import {
  type CategoryList,
  type CategoryView,
  type CreateCategoryInput,
  DEFAULT_CATEGORIES,
  MAX_CATEGORY_DEPTH,
  type UpdateCategoryInput,
} from './category-model.ts';
import {
  CATEGORIES_PARTITION,
  CATEGORIES_SEEDED_KEY,
  CATEGORY_SK_PREFIX,
  categoryKey,
  categoryPartition,
  categorySlugKey,
} from './keys.ts';

/** A category as stored: its path (ids from the root to itself) and counters. */
interface CategoryItem {
  id: string;
  slug: string;
  name: string;
  parentId: string | null;
  position: number;
  /** Ids from the root to this category, joined by `/`: products are keyed by it. */
  path: string;
  ownProductCount: number;
  childCount: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Where a slug points: the category and its path (ids from the root), for product writes. */
export interface CategoryRef {
  readonly id: string;
  readonly slug: string;
  readonly path: readonly string[];
}

const seededTables = new Set<string>();

function categoryItem(fields: CategoryItem) {
  return { ...categoryKey(fields.id), entity: 'category', ...fields };
}
function slugItem(ref: CategoryRef) {
  return {
    ...categorySlugKey(ref.slug),
    entity: 'category-slug',
    categoryId: ref.id,
    path: ref.path.join('/'),
  };
}

/** Whether the default categories were written to this table (remembered once true). */
async function defaultsSeeded(): Promise<boolean> {
  const { client, tableName } = table();
  if (seededTables.has(tableName)) return true;
  const marker = await client.send(
    new GetCommand({ TableName: tableName, Key: CATEGORIES_SEEDED_KEY, ConsistentRead: true }),
  );
  if (marker.Item) seededTables.add(tableName);
  return marker.Item !== undefined;
}

const isDefaultCategory = (slug: string) => (DEFAULT_CATEGORIES as readonly string[]).includes(slug);

/**
 * Products already in a default category: those written before categories were data sit on the
 * root's gsi2 partition with no count anywhere. A COUNT Query, paged (reads, returns no items).
 */
async function productsOnRootPartition(rootId: string): Promise<number> {
  const { client, tableName } = table();
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.gsi2,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': categoryPartition(rootId) },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

/**
 * Writes the ten default categories (roots whose id is their slug) once per table, in one
 * transaction conditioned on a marker item: idempotent, and a default category an admin deleted
 * later is not brought back. Each starts with the count of the products already in it (a shop
 * that had products before categories were data), so counts and the emptiness checks hold.
 * Only write paths call it (their functions may write); read paths see the defaults virtually
 * until then (`resolveCategory`, `listCategories`).
 */
export async function ensureDefaultCategories(): Promise<void> {
  if (await defaultsSeeded()) return;
  const { tableName } = table();
  const now = new Date().toISOString();
  const counts = await Promise.all(DEFAULT_CATEGORIES.map((slug) => productsOnRootPartition(slug)));
  const items = DEFAULT_CATEGORIES.flatMap((slug, position) => [
    categoryItem(defaultCategory(slug, position, counts[position] ?? 0, now)),
    slugItem({ id: slug, slug, path: [slug] }),
  ]);
  try {
    await transactWrite({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: { ...CATEGORIES_SEEDED_KEY, entity: 'categories-seeded', at: now },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...items.map((Item) => ({
          Put: { TableName: tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
        })),
      ],
    });
  } catch (error) {
    // Another request seeded first (or an admin took a default slug first): nothing to do.
    if (!isConditionFailure(error)) throw error;
  }
  seededTables.add(tableName);
}

/** A default category as seeded: a root whose id is its slug. */
function defaultCategory(slug: string, position: number, ownProductCount: number, now: string): CategoryItem {
  return {
    id: slug,
    slug,
    name: slug.charAt(0).toUpperCase() + slug.slice(1),
    parentId: null,
    position,
    path: slug,
    ownProductCount,
    childCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The category a slug names, or undefined: one GetItem, read-only. Before the defaults are
 * seeded, a default slug names its (virtual) root category: one more GetItem of the marker.
 */
export async function resolveCategory(slug: string): Promise<CategoryRef | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: categorySlugKey(slug) }));
  if (out.Item) return { id: String(out.Item.categoryId), slug, path: String(out.Item.path).split('/') };
  if (isDefaultCategory(slug) && !(await defaultsSeeded())) return { id: slug, slug, path: [slug] };
  return undefined;
}

async function getCategoryItem(id: string): Promise<CategoryItem | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: categoryKey(id), ConsistentRead: true }),
  );
  return out.Item as CategoryItem | undefined;
}

function toView(item: CategoryItem, productCount: number): CategoryView {
  return {
    id: item.id,
    slug: item.slug,
    name: item.name,
    parentId: item.parentId,
    position: item.position,
    depth: item.path.split('/').length,
    ownProductCount: item.ownProductCount,
    productCount,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

/**
 * The whole tree, parents before children and siblings by position: ONE Query of the small
 * categories partition. `productCount` adds the descendants' own counts up.
 */
export async function listCategories(): Promise<CategoryList> {
  const items = (await defaultsSeeded()) ? await categoryItems() : await virtualDefaults();
  const totals = new Map<string, number>();
  for (const item of items)
    for (const ancestor of item.path.split('/'))
      totals.set(ancestor, (totals.get(ancestor) ?? 0) + item.ownProductCount);
  const order = (item: CategoryItem) => [item.path.split('/').length, item.position, item.slug] as const;
  items.sort((a, b) => {
    const [da, pa, sa] = order(a);
    const [db, pb, sb] = order(b);
    return da - db || pa - pb || sa.localeCompare(sb);
  });
  return { items: items.map((item) => toView(item, totals.get(item.id) ?? 0)) };
}

function categoryItems(): Promise<CategoryItem[]> {
  return queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': CATEGORIES_PARTITION, ':prefix': CATEGORY_SK_PREFIX },
  }) as unknown as Promise<CategoryItem[]>;
}

/**
 * The tree before the first write seeded it (a fresh deploy): the defaults as they will be
 * seeded, counted from the products' index. A read-only function may answer it.
 */
async function virtualDefaults(): Promise<CategoryItem[]> {
  const epoch = new Date(0).toISOString();
  const counts = await Promise.all(DEFAULT_CATEGORIES.map((slug) => productsOnRootPartition(slug)));
  return DEFAULT_CATEGORIES.map((slug, position) =>
    defaultCategory(slug, position, counts[position] ?? 0, epoch),
  );
}

/** The parent a write names: it must exist and leave room for one more level. */
async function parentFor(parentId: string, childId?: string): Promise<CategoryItem> {
  if (parentId === childId)
    throw ruleViolationAt('category-too-deep', 'A category cannot be its own parent.', 'body.parentId');
  const parent = await getCategoryItem(parentId);
  if (!parent) throw ruleViolationAt('unknown-category', `No category with id ${parentId}.`, 'body.parentId');
  if (parent.path.split('/').length >= MAX_CATEGORY_DEPTH)
    throw ruleViolationAt(
      'category-too-deep',
      `Categories nest at most ${MAX_CATEGORY_DEPTH} levels.`,
      'body.parentId',
    );
  return parent;
}

/** A transaction item that counts a child in or out of a parent that must not have moved. */
function childCountUpdate(parent: CategoryItem, delta: number) {
  return {
    Update: {
      TableName: table().tableName,
      Key: categoryKey(parent.id),
      UpdateExpression: 'ADD childCount :delta',
      ConditionExpression: 'attribute_exists(pk) AND #path = :path',
      ExpressionAttributeNames: { '#path': 'path' },
      ExpressionAttributeValues: { ':delta': delta, ':path': parent.path },
    },
  };
}

const slugTaken = (slug: string) => new Conflict(`The slug ${slug} is taken by another category.`);

/** Creates a category (admin): slug item, category and parent's child count in one transaction. */
export async function createCategory(
  input: CreateCategoryInput,
): Promise<{ category: CategoryView; version: number }> {
  await ensureDefaultCategories();
  const parent = input.parentId ? await parentFor(input.parentId) : undefined;
  const id = newId();
  const now = new Date().toISOString();
  const path = parent ? `${parent.path}/${id}` : id;
  const item: CategoryItem = {
    id,
    slug: input.slug,
    name: input.name,
    parentId: parent?.id ?? null,
    position: input.position,
    path,
    ownProductCount: 0,
    childCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const { tableName } = table();
  try {
    await transactWrite({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: slugItem({ id, slug: input.slug, path: path.split('/') }),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: tableName, Item: categoryItem(item) } },
        ...(parent ? [childCountUpdate(parent, 1)] : []),
      ],
    });
  } catch (error) {
    if (isConditionFailure(error, 0)) throw slugTaken(input.slug);
    if (isConditionFailure(error)) throw new Conflict('The parent category changed meanwhile; try again.');
    throw error;
  }
  return { category: toView(item, 0), version: 1 };
}

/**
 * Changes a category (admin). Renaming and repositioning are free; a new slug needs the category
 * to hold no products (products carry their category's slug), and a new parent needs it to hold
 * neither products nor children (products are keyed by the path): 409 otherwise. Both are
 * conditions of the one transaction, so a product written meanwhile cannot slip through.
 */
export async function updateCategory(
  id: string,
  changes: UpdateCategoryInput,
  expectedVersion?: number,
): Promise<{ category: CategoryView; version: number }> {
  await ensureDefaultCategories();
  const current = await getCategoryItem(id);
  if (!current) throw new NotFound(`No category with id ${id}.`);
  if (expectedVersion !== undefined && current.version !== expectedVersion)
    throw new PreconditionFailed('The category changed since you read it.');
  const newSlug = changes.slug !== undefined && changes.slug !== current.slug ? changes.slug : undefined;
  const moving = changes.parentId !== undefined && changes.parentId !== current.parentId;
  // A parent that cannot be one (itself, missing, too deep) is a 422 whatever the category holds.
  const newParent = moving && changes.parentId ? await parentFor(changes.parentId, id) : undefined;
  if ((newSlug || moving) && current.ownProductCount > 0)
    throw new Conflict('The category holds products: empty it before changing its slug or parent.');
  if (moving && current.childCount > 0) throw new Conflict('The category has subcategories: it cannot move.');
  const oldParent = moving && current.parentId ? await getCategoryItem(current.parentId) : undefined;
  const path = moving ? (newParent ? `${newParent.path}/${id}` : id) : current.path;
  const next: CategoryItem = {
    ...current,
    slug: newSlug ?? current.slug,
    name: changes.name ?? current.name,
    position: changes.position ?? current.position,
    parentId: moving ? (newParent?.id ?? null) : current.parentId,
    path,
    version: current.version + 1,
    updatedAt: new Date().toISOString(),
  };
  const { tableName } = table();
  const slugChanged = newSlug !== undefined || moving;
  try {
    await transactWrite({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: categoryItem(next),
            // Empty when the slug or path changes; unchanged since read in any case.
            ConditionExpression: slugChanged
              ? '#version = :version AND ownProductCount = :zero AND childCount = :zero'
              : '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: slugChanged
              ? { ':version': current.version, ':zero': 0 }
              : { ':version': current.version },
          },
        },
        ...(slugChanged
          ? [
              ...(newSlug ? [{ Delete: { TableName: tableName, Key: categorySlugKey(current.slug) } }] : []),
              {
                Put: {
                  TableName: tableName,
                  Item: slugItem({ id, slug: next.slug, path: path.split('/') }),
                  ...(newSlug ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
                },
              },
            ]
          : []),
        ...(oldParent ? [childCountUpdate(oldParent, -1)] : []),
        ...(newParent ? [childCountUpdate(newParent, 1)] : []),
      ],
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (newSlug && isConditionFailure(error, 2)) throw slugTaken(newSlug);
    throw new Conflict('The category or its parent changed meanwhile; read it again.');
  }
  const list = await listCategories();
  const view = list.items.find((c) => c.id === id) ?? toView(next, 0);
  return { category: view, version: next.version };
}

/** Deletes a category (admin): only an empty one (no products, no subcategories), else 409. */
export async function deleteCategory(id: string): Promise<void> {
  await ensureDefaultCategories();
  const current = await getCategoryItem(id);
  if (!current) throw new NotFound(`No category with id ${id}.`);
  if (current.ownProductCount > 0 || current.childCount > 0)
    throw new Conflict('The category is not empty: move or delete its products and subcategories first.');
  const parent = current.parentId ? await getCategoryItem(current.parentId) : undefined;
  const { tableName } = table();
  try {
    await transactWrite({
      TransactItems: [
        {
          Delete: {
            TableName: tableName,
            Key: categoryKey(id),
            ConditionExpression: '#version = :version AND ownProductCount = :zero AND childCount = :zero',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': current.version, ':zero': 0 },
          },
        },
        { Delete: { TableName: tableName, Key: categorySlugKey(current.slug) } },
        ...(parent ? [childCountUpdate(parent, -1)] : []),
      ],
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new Conflict('The category changed meanwhile (a product or subcategory was added); read it again.');
  }
}

/**
 * A transaction item that counts a product in (+1) or out (-1) of its category. Counting in
 * requires the category to still have the slug and path the product is keyed by, so a product
 * never lands in a category that moved, was renamed or deleted since the slug was resolved.
 */
export function productCountUpdate(ref: CategoryRef, delta: 1 | -1) {
  const guard = delta > 0;
  return {
    Update: {
      TableName: table().tableName,
      Key: categoryKey(ref.id),
      UpdateExpression: 'ADD ownProductCount :delta',
      ConditionExpression: guard
        ? 'attribute_exists(pk) AND #path = :path AND slug = :slug'
        : 'attribute_exists(pk)',
      ...(guard ? { ExpressionAttributeNames: { '#path': 'path' } } : {}),
      ExpressionAttributeValues: guard
        ? { ':delta': delta, ':path': ref.path.join('/'), ':slug': ref.slug }
        : { ':delta': delta },
    },
  };
}

/** A category's id and names, as search shows and indexes them. */
export interface CategoryName {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
}

/**
 * Every category's id, slug and name, read-only: ONE Query, no seeding (a read-only function
 * may call it), so a default category not written yet is named by its slug, which is its id.
 */
export async function categoryNames(): Promise<CategoryName[]> {
  const items = await categoryItems();
  const names = new Map<string, CategoryName>(
    DEFAULT_CATEGORIES.map((slug) => [slug, { id: slug, slug, name: slug }]),
  );
  for (const item of items) names.set(item.id, { id: item.id, slug: item.slug, name: item.name });
  return [...names.values()];
}
