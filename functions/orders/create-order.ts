import { caller } from '../core/auth.ts';
import { created, http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { createOrderBody, idempotentHeaders } from './model.ts';
import { createOrder } from './store.ts';

/** POST /orders: reserves stock and creates a pending order; safe to retry with the same Idempotency-Key. */
export const handler = http(
  async (event) => {
    const { userId } = caller(event);
    const headers = parseInput(idempotentHeaders, event.headers, 'header');
    const input = parseInput(createOrderBody, event.jsonBody, 'body');
    const { order, replayed } = await createOrder(userId, input, headers['idempotency-key']);
    return created(order, {
      location: `/orders/${order.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
  { jsonBody: true },
);
