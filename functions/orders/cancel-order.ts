import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { cancelOrder } from '../payments/service.ts';
import { orderPath } from './model.ts';

/** POST /orders/{orderId}/cancel: unpaid or paid-not-shipped orders; stock returns, payments are refunded. */
export const handler = http(async (event) => {
  const who = caller(event);
  const { orderId } = parseInput(orderPath, event.pathParameters ?? {}, 'path');
  return ok(await cancelOrder(who, orderId));
});
