import { adminCaller } from '../core/auth.ts';
import { badRequest } from '../core/errors.ts';
import { etag, http, ifMatchVersion, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { categoryPath, updateCategoryBody } from './category-model.ts';
import { updateCategory } from './category-store.ts';

/** PATCH /categories/{categoryId} (admin): slug, name, parent, position; `If-Match` optional. */
export const handler = http(
  async (event) => {
    adminCaller(event);
    const { categoryId } = parseInput(categoryPath, event.pathParameters ?? {}, 'path');
    const changes = parseInput(updateCategoryBody, event.jsonBody, 'body');
    if (Object.keys(changes).length === 0) throw badRequest('Send at least one field to change.');
    const { category, version } = await updateCategory(categoryId, changes, ifMatchVersion(event));
    return ok(category, { etag: etag(version) });
  },
  { jsonBody: true },
);
