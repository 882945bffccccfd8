import { adminCaller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { adminListOrdersQuery } from './model.ts';
import { listOrdersByStatus } from './store.ts';

/** GET /admin/orders?status= (admin): orders in one status, newest first. */
export const handler = http(async (event) => {
  adminCaller(event);
  const { status, limit, cursor } = parseInput(
    adminListOrdersQuery,
    event.queryStringParameters ?? {},
    'query',
  );
  return ok(await listOrdersByStatus(status, limit, cursor), { 'cache-control': 'no-store' });
});
