// Lever of `npm run bench`: the schema of zod-mini.ts written with classic zod's methods.
import * as z from 'zod';

const product = z.strictObject({
  id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/),
  name: z.string().min(1).max(200),
  category: z.enum(['books', 'home', 'toys']),
  price: z.int().nonnegative(),
  createdAt: z.iso.datetime(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const handler = async (event: { body?: string }) =>
  product.safeParse(JSON.parse(event.body ?? '{}')).success;
