import { adminCaller } from '../core/auth.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { categoryPath } from './category-model.ts';
import { deleteCategory } from './category-store.ts';

/** DELETE /categories/{categoryId} (admin): only an empty category (409 otherwise). */
export const handler = http(async (event) => {
  adminCaller(event);
  const { categoryId } = parseInput(categoryPath, event.pathParameters ?? {}, 'path');
  await deleteCategory(categoryId);
  return noContent();
});
