import { adminCaller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listOrdersByStatus, listOrdersWithFailedRefunds } from './listings-store.ts';
import { adminListOrdersQuery } from './model.ts';

/**
 * GET /admin/orders?status= (admin): orders in one status, newest first; `?refund=failed`: the
 * orders with a refund the provider refused, for an operator to settle by hand.
 */
export const handler = http(async (event) => {
  adminCaller(event);
  const { status, limit, cursor } = parseInput(
    adminListOrdersQuery,
    event.queryStringParameters ?? {},
    'query',
  );
  const page = status
    ? await listOrdersByStatus(status, limit, cursor)
    : await listOrdersWithFailedRefunds(limit, cursor);
  return ok(page, { 'cache-control': 'no-store' });
});
