import { caller } from '../core/auth.ts';
import { declareEnv, oneOf, positiveNumber } from '../core/config.ts';
import { Forbidden } from '../core/domain-errors.ts';
import { created, http } from '../core/http.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { countMetric } from '../core/metrics.ts';
import { parseInput } from '../core/validation.ts';
import { createOrderBody, idempotentHeaders } from './model.ts';
import { createOrder } from './placement-store.ts';

// Read by the store when it sets the order's expiry (declared here: the store is shared with
// functions, such as the messages stream consumer, that never place orders).
declareEnv('ORDER_PAYMENT_WINDOW_MINUTES', positiveNumber);
// Per environment (lib/config): whether accounts that have not proved their address may order.
declareEnv('ORDERS_REQUIRE_VERIFIED_EMAIL', oneOf(['true', 'false']));

/** POST /orders: reserves stock and creates a pending order; safe to retry with the same Idempotency-Key. */
export const handler = http(
  async (event) => {
    const { userId, emailVerified } = caller(event);
    if (!emailVerified && process.env.ORDERS_REQUIRE_VERIFIED_EMAIL === 'true') {
      throw new Forbidden('Verify your email address before placing an order (POST /auth/verify-email).');
    }
    const headers = parseInput(idempotentHeaders, event.headers, 'header');
    const input = parseInput(createOrderBody, event.jsonBody, 'body');
    const { order, replayed } = await createOrder(userId, input, headers['idempotency-key']);
    if (!replayed) countMetric(BUSINESS_METRICS.OrderPlaced);
    return created(order, {
      location: `/orders/${order.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
  { jsonBody: true },
);
