import * as z from 'zod/mini';
import { ULID_PATTERN } from '../core/ids.ts';
import { queryInteger } from '../core/validation.ts';
import { categorySlug } from './category-model.ts';
import { productImageSchema } from './images-model.ts';

/** Default categories (seeded as data) and the slug type; categories are data, see category-model.ts. */
export { type Category, DEFAULT_CATEGORIES as CATEGORIES } from './category-model.ts';

export const productId = z.string().check(z.regex(ULID_PATTERN, 'Must be a product id (ULID).'));

export const productSchema = z.object({
  id: productId,
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  description: z.string().check(z.maxLength(4000)),
  /** The slug of an existing category (see GET /categories). */
  category: categorySlug,
  /** Integer minor units (cents), never floats. */
  price: z.int().check(z.nonnegative()),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Must be an ISO 4217 code.')),
  stock: z.int().check(z.nonnegative()),
  /** Processed images in display order (functions/catalog/images-model.ts). */
  images: z.array(productImageSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Product = z.infer<typeof productSchema>;
/** A product's own fields, as written: its images are added and changed by the image routes only. */
export type ProductFields = Omit<Product, 'images'>;

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const listProductsQuery = z.strictObject({
  category: z.optional(categorySlug),
  limit: queryInteger(1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});
export type ListProductsQuery = z.infer<typeof listProductsQuery>;

export const productPath = z.strictObject({ productId });

export const productPageSchema = z.object({
  items: z.array(productSchema),
  nextCursor: z.nullable(z.string()),
});
export type ProductPage = z.infer<typeof productPageSchema>;

export const createProductBody = z.strictObject({
  name: productSchema.shape.name,
  description: z._default(productSchema.shape.description, ''),
  category: productSchema.shape.category,
  price: productSchema.shape.price.check(z.maximum(100_000_000)),
  currency: productSchema.shape.currency,
  stock: productSchema.shape.stock.check(z.maximum(1_000_000)),
});
export type CreateProductInput = z.infer<typeof createProductBody>;

export const updateProductBody = z.strictObject({
  name: z.optional(productSchema.shape.name),
  description: z.optional(productSchema.shape.description),
  category: z.optional(productSchema.shape.category),
  price: z.optional(productSchema.shape.price.check(z.maximum(100_000_000))),
  currency: z.optional(productSchema.shape.currency),
  stock: z.optional(productSchema.shape.stock.check(z.maximum(1_000_000))),
});
export type UpdateProductInput = z.infer<typeof updateProductBody>;
