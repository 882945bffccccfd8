import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listOrdersOfUser } from './listings-store.ts';
import { listOrdersQuery } from './model.ts';

/** GET /orders: the caller's orders, newest first. */
export const handler = http(async (event) => {
  const { userId } = caller(event);
  const { limit, cursor } = parseInput(listOrdersQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await listOrdersOfUser(userId, limit, cursor), { 'cache-control': 'no-store' });
});
