import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { recommendationsQuery } from './model.ts';
import { recommendationsFor } from './store.ts';

/** GET /me/recommendations: in-stock products ranked for the caller, each with a score and a reason. */
export const handler = http(async (event) => {
  const { limit } = parseInput(recommendationsQuery, event.queryStringParameters ?? {}, 'query');
  const items = await recommendationsFor(caller(event).userId, limit);
  return ok({ items }, { 'cache-control': 'private, no-cache' });
});
