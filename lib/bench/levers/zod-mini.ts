// Lever of `npm run bench`: the product schema with zod/mini (what functions/catalog/model.ts
// uses), alone in a bundle, to compare with the same schema in classic zod (zod-classic.ts).
import * as z from 'zod/mini';

const product = z.strictObject({
  id: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)),
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  category: z.enum(['books', 'home', 'toys']),
  price: z.int().check(z.nonnegative()),
  createdAt: z.iso.datetime(),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
});

export const handler = async (event: { body?: string }) =>
  product.safeParse(JSON.parse(event.body ?? '{}')).success;
