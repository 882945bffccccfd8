import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { idempotentHeaders, orderPath, paymentBody } from '../orders/model.ts';
import { payOrder } from './service.ts';

/** POST /orders/{orderId}/payments: pays the caller's pending order; one charge per order. */
export const handler = http(
  async (event) => {
    const { userId } = caller(event);
    const { orderId } = parseInput(orderPath, event.pathParameters ?? {}, 'path');
    const headers = parseInput(idempotentHeaders, event.headers, 'header');
    const { paymentMethod } = parseInput(paymentBody, event.jsonBody, 'body');
    return ok(await payOrder(userId, orderId, paymentMethod, headers['idempotency-key']));
  },
  { jsonBody: true },
);
