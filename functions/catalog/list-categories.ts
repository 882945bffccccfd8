import { createHash } from 'node:crypto';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { categoryListHeaders } from './category-model.ts';
import { listCategories } from './category-store.ts';

/**
 * GET /categories: the whole tree with product counts. Cacheable: a short max-age, and an ETag
 * of the body so a revalidation that finds nothing new costs a 304 without the body.
 */
export const handler = http(async function listCategoryTree(event) {
  const conditional = event.headers['if-none-match'];
  parseInput(
    categoryListHeaders,
    conditional === undefined ? {} : { 'if-none-match': conditional },
    'header',
  );
  const list = await listCategories();
  const body = JSON.stringify(list);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const headers = { etag, 'cache-control': 'public, max-age=60' };
  if (conditional === etag) return { statusCode: 304, headers };
  return ok(list, headers);
});
