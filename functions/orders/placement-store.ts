import { profileExists } from '../accounts/erasure-fence.ts';
import { getProducts } from '../catalog/store.ts';
import { isConditionFailure, table, transactWrite } from '../core/db.ts';
import { Conflict, NotFound } from '../core/domain-errors.ts';
import { claimIdempotencyKey, replayOf, requestHash } from '../core/idempotency.ts';
import { newId } from '../core/ids.ts';
import { logger } from '../core/logger.ts';
import { historyEntry } from './history.ts';
import { CREATE_ORDER_SCOPE, orderLinkKey } from './keys.ts';
import { type CreateOrderInput, ORDER_LINK_ENTITY, type Order, type OrderLine } from './model.ts';
import { productsGone, reservationProblem, reserveLines, unprocessable } from './stock.ts';
import { getOrder, paymentWindowMinutes, toItem } from './store.ts';

/* Placing an order: prices from the catalog, stock, idempotency key and account check in one transaction. */

/** Where the stock reservations start in the order's transaction (after key, order, link, account check). */
const FIRST_RESERVATION = 4;

const ACCOUNT_CHECK = 3;

const MAX_PRICE_RETRIES = 2;

/**
 * Places an order: prices come from the catalog (never the client), and the stock of every
 * line, the order and the idempotency key are written in ONE transaction whose conditions
 * keep stock at zero or above whatever the concurrency. Replays of the same key and body
 * return the original order.
 */
export async function createOrder(
  userId: string,
  input: CreateOrderInput,
  idempotencyKey: string,
): Promise<{ order: Order; replayed: boolean }> {
  const hash = requestHash(input);
  for (let attempt = 0; ; attempt++) {
    const existing = await replayOf(CREATE_ORDER_SCOPE, userId, idempotencyKey, hash);
    if (existing) return { order: (await getOrder(existing)) as Order, replayed: true };

    const products = await getProducts(input.items.map((line) => line.productId));
    const unknown = input.items.filter((line) => !products.has(line.productId));
    if (unknown.length > 0) throw productsGone(input, unknown);
    const currencies = new Set([...products.values()].map((p) => p.product.currency));
    if (currencies.size > 1) {
      throw unprocessable(
        `The products are priced in different currencies (${[...currencies].join(', ')}); order them separately.`,
      );
    }
    const lines: OrderLine[] = input.items.map(({ productId, quantity }) => {
      const { product } = products.get(productId) as { product: { name: string; price: number } };
      return {
        productId,
        name: product.name,
        unitPrice: product.price,
        quantity,
        lineTotal: product.price * quantity,
      };
    });
    const now = new Date();
    const id = newId(now.getTime());
    const order: Order = {
      id,
      userId,
      status: 'pending_payment',
      items: lines,
      total: lines.reduce((sum, line) => sum + line.lineTotal, 0),
      currency: [...currencies][0] as string,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + paymentWindowMinutes() * 60_000).toISOString(),
      history: [historyEntry('created', { lines: lines.length })],
    };
    const item = toItem(order);
    const { tableName } = table();
    try {
      const out = await transactWrite({
        TransactItems: [
          claimIdempotencyKey(CREATE_ORDER_SCOPE, userId, idempotencyKey, {
            requestHash: hash,
            resourceId: id,
          }),
          { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: tableName,
              Item: { ...orderLinkKey(userId, id), entity: ORDER_LINK_ENTITY, orderId: id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          // Not while the account is being erased: the erasure would not see this order.
          profileExists(userId),
          ...reserveLines(input, products),
        ],
        ReturnConsumedCapacity: 'TOTAL',
      });
      logger.info('order placed', {
        orderId: id,
        lines: lines.length,
        consumedCapacity: out.ConsumedCapacity,
      });
      return { order, replayed: false };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The key was claimed by a concurrent request with it: answer as its replay.
      if (isConditionFailure(error, 0)) continue;
      if (isConditionFailure(error, ACCOUNT_CHECK)) throw new NotFound('This account no longer exists.');
      // A product deleted meanwhile (422) or short of stock (409).
      const problem = reservationProblem(error, input, FIRST_RESERVATION);
      if (problem) throw problem;
      // A product changed (price or details) between our read and the write: price again.
      if (attempt >= MAX_PRICE_RETRIES) throw new Conflict('The catalog changed while ordering. Try again.');
    }
  }
}
