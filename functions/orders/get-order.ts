import { caller } from '../core/auth.ts';
import { notFound } from '../core/errors.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { orderPath } from './model.ts';
import { getOrder } from './store.ts';

/** GET /orders/{orderId}: the owner or an admin; anyone else gets 404, so existence does not leak. */
export const handler = http(async (event) => {
  const who = caller(event);
  const { orderId } = parseInput(orderPath, event.pathParameters ?? {}, 'path');
  const order = await getOrder(orderId);
  if (!order || (order.userId !== who.userId && !who.isAdmin)) throw notFound(`No order with id ${orderId}.`);
  return ok(order, { 'cache-control': 'no-store' });
});
