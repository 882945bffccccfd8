import * as z from 'zod/mini';

/**
 * The categories the catalog was born with, seeded as data (root categories whose id is their
 * slug, so products written before categories were data keep their index keys). See
 * `ensureDefaultCategories` in category-store.ts.
 */
export const DEFAULT_CATEGORIES = [
  'electronics',
  'books',
  'home',
  'garden',
  'toys',
  'sports',
  'fashion',
  'beauty',
  'grocery',
  'music',
] as const;

/** Categories nest at most this deep (a root is level 1). */
export const MAX_CATEGORY_DEPTH = 3;

const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A category's URL name: lowercase words joined by hyphens. */
export const categorySlug = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(SLUG_PATTERN, 'Must be a slug (a-z, 0-9, hyphens).'));
export type Category = z.infer<typeof categorySlug>;

/** A category id: a ULID, or the slug of a default category (which is its id). */
export const categoryId = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[0-9A-Za-z-]+$/, 'Must be a category id.'));

export const categorySchema = z.object({
  id: categoryId,
  slug: categorySlug,
  name: z.string().check(z.minLength(1), z.maxLength(100)),
  parentId: z.nullable(categoryId),
  position: z.int().check(z.nonnegative()),
  /** 1 for a root, at most 3. */
  depth: z.int().check(z.minimum(1), z.maximum(MAX_CATEGORY_DEPTH)),
  /** Products directly in this category. */
  ownProductCount: z.int().check(z.nonnegative()),
  /** Products in this category and its descendants (what `GET /products?category=` lists). */
  productCount: z.int().check(z.nonnegative()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type CategoryView = z.infer<typeof categorySchema>;

export const categoryListSchema = z.object({ items: z.array(categorySchema) });
export type CategoryList = z.infer<typeof categoryListSchema>;

export const categoryPath = z.strictObject({ categoryId });

/** GET /categories revalidates with the ETag it sent. */
export const categoryListHeaders = z.object({
  'if-none-match': z.optional(z.string().check(z.maxLength(256))),
});

const position = z.int().check(z.nonnegative(), z.maximum(10_000));

export const createCategoryBody = z.strictObject({
  slug: categorySlug,
  name: categorySchema.shape.name,
  parentId: z.optional(z.nullable(categoryId)),
  position: z._default(position, 0),
});
export type CreateCategoryInput = z.infer<typeof createCategoryBody>;

export const updateCategoryBody = z.strictObject({
  slug: z.optional(categorySlug),
  name: z.optional(categorySchema.shape.name),
  parentId: z.optional(z.nullable(categoryId)),
  position: z.optional(position),
});
export type UpdateCategoryInput = z.infer<typeof updateCategoryBody>;
