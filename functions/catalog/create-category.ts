import { adminCaller } from '../core/auth.ts';
import { created, etag, http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { createCategoryBody } from './category-model.ts';
import { createCategory } from './category-store.ts';

/** POST /categories (admin): adds a category, at most 3 levels deep, with a unique slug. */
export const handler = http(
  async (event) => {
    adminCaller(event);
    const input = parseInput(createCategoryBody, event.jsonBody, 'body');
    const { category, version } = await createCategory(input);
    return created(category, { etag: etag(version), location: `/categories/${category.id}` });
  },
  { jsonBody: true },
);
