import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { orderPath } from '../orders/model.ts';
import { cancelOrder } from './cancellation.ts';

/** POST /orders/{orderId}/cancel: unpaid or paid-not-shipped orders; stock returns, payments are refunded. */
export const handler = http(async (event) => {
  const who = caller(event);
  const { orderId } = parseInput(orderPath, event.pathParameters ?? {}, 'path');
  return ok(await cancelOrder(who, orderId));
});
