import { adminCaller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { orderPath } from './model.ts';
import { transitionOrder } from './store.ts';

/** POST /orders/{orderId}/deliver (admin): shipped -> delivered, else 409. */
export const handler = http(async (event) => {
  const { userId } = adminCaller(event);
  const { orderId } = parseInput(orderPath, event.pathParameters ?? {}, 'path');
  return ok(await transitionOrder(orderId, 'deliver', { detail: { by: userId } }));
});
