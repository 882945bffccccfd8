import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { profileExists } from '../accounts/store.ts';
import { getProducts } from '../catalog/store.ts';
import { requireEnv } from '../core/config.ts';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import {
  INDEX,
  isConditionFailure,
  putItems,
  queryAll,
  setFields,
  table,
  transactWrite,
  updateItem,
} from '../core/db.ts';
import { Conflict, InvalidInput, NotFound } from '../core/domain-errors.ts';
import { claimIdempotencyKey, replayOf, requestHash } from '../core/idempotency.ts';
import { newId, ULID_PATTERN, ulidTimePrefix } from '../core/ids.ts';
import { logger } from '../core/logger.ts';
import { historyEntry, historyWithoutCustomer } from './history.ts';
import { CREATE_ORDER_SCOPE, orderKey, orderLinkKey, ordersInStatus, ordersOfUser } from './keys.ts';
import {
  type CreateOrderInput,
  HOLDS_STOCK,
  ORDER_ENTITY,
  ORDER_LINK_ENTITY,
  type Order,
  type OrderAction,
  type OrderLine,
  type OrderStatus,
  orderSchema,
  RETURNS_STOCK,
  TRANSITIONS,
} from './model.ts';
import { productsGone, releaseLines, reservationProblem, reserveLines, unprocessable } from './stock.ts';

/** Where the stock reservations start in the order's transaction (after key, order, link, account check). */
const FIRST_RESERVATION = 4;
const ACCOUNT_CHECK = 3;
const MAX_PRICE_RETRIES = 2;

interface OrderItem extends Order {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk: string;
  gsi2sk: string;
  expiresAtEpoch?: never;
}

/** The item of an order: found by id, by its customer (gsi1) and by its status (gsi2). */
function toItem(order: Order): OrderItem {
  return {
    ...orderKey(order.id),
    entity: ORDER_ENTITY,
    ...order,
    ...(order.userId ? { gsi1pk: ordersOfUser(order.userId), gsi1sk: order.id } : {}),
    gsi2pk: ordersInStatus(order.status),
    gsi2sk: order.id,
  } as OrderItem;
}

/** Writes many orders as given, in batches: the bench's large order books, never a request path. */
export function putOrders(orders: readonly Order[], onProgress?: (done: number) => void): Promise<void> {
  return putItems(
    orders.map((order) => ({ ...toItem(order) })),
    onProgress,
  );
}

/** An order as the API shows it, from its item (keys and index attributes left out). */
export function orderFromItem(item: Record<string, unknown>): Order {
  const { id, userId, status, items, total, currency, createdAt, updatedAt, expiresAt, payment, history } =
    item as unknown as Order;
  return {
    id,
    userId: userId ?? null,
    status,
    items,
    total,
    currency,
    createdAt,
    updatedAt,
    expiresAt,
    ...(payment ? { payment } : {}),
    history: history ?? [],
  };
}

/** Minutes an unpaid order holds its stock (`ORDER_PAYMENT_WINDOW_MINUTES`, per environment). */
export function paymentWindowMinutes(): number {
  return Number(requireEnv('ORDER_PAYMENT_WINDOW_MINUTES'));
}

/** The caller's order by id. Others' orders are "not found", never "forbidden": no existence leak. */
export async function getOrder(id: string): Promise<Order | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: orderKey(id), ConsistentRead: true }),
  );
  return out.Item ? orderFromItem(out.Item) : undefined;
}

/** Orders by id, in the order asked (missing ones left out); one BatchGetItem per 100 ids. */
export async function getOrders(ids: readonly string[]): Promise<Order[]> {
  const { client, tableName } = table();
  const found = new Map<string, Order>();
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += 100) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(start, start + 100).map(orderKey);
    while (keys && keys.length > 0) {
      const out: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.set(String(item.id), orderFromItem(item));
      keys = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return unique.flatMap((id) => found.get(id) ?? []);
}

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

async function queryPage(
  index: string,
  partitionAttribute: string,
  partition: string,
  scope: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: Order[]; nextCursor: string | null }> {
  const { client, tableName } = table();
  const sortAttribute = partitionAttribute.replace(/pk$/, 'sk');
  let exclusiveStartKey: Record<string, string> | undefined;
  if (cursor) {
    const { id } = await decodeCursor(scope, cursor);
    if (typeof id !== 'string' || !ULID_PATTERN.test(id)) {
      throw new InvalidInput('The cursor is not valid for this listing.', [
        { path: 'query.cursor', message: 'Invalid cursor.' },
      ]);
    }
    exclusiveStartKey = { ...orderKey(id), [partitionAttribute]: partition, [sortAttribute]: id };
  }
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partitionAttribute },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const items = (out.Items ?? []).map(orderFromItem);
  const last = items.at(-1);
  return {
    items,
    nextCursor: out.LastEvaluatedKey && last ? await encodeCursor(scope, { id: last.id }) : null,
  };
}

/** The caller's orders, newest first: one Query on gsi1. */
export function listOrdersOfUser(userId: string, limit: number, cursor?: string) {
  return queryPage(INDEX.gsi1, 'gsi1pk', ordersOfUser(userId), `orders:${userId}`, limit, cursor);
}

/** Orders in one status, newest first (admin): one Query on gsi2. */
export function listOrdersByStatus(status: OrderStatus, limit: number, cursor?: string) {
  return queryPage(INDEX.gsi2, 'gsi2pk', ordersInStatus(status), `orders:status:${status}`, limit, cursor);
}

export interface TransitionOptions {
  /** Only if the order belongs to this user (404 otherwise). */
  readonly ownerId?: string;
  readonly detail?: Record<string, unknown>;
  /** Further `SET` assignments, with their values, applied atomically with the transition. */
  readonly set?: Record<string, unknown>;
  /** Extra condition (with its values), e.g. that a payment attempt is still the current one. */
  readonly condition?: {
    expression: string;
    values: Record<string, unknown>;
    names?: Record<string, string>;
  };
  /**
   * More writes that must happen with the transition or not at all (e.g. the record that a
   * webhook event was processed). If one of them fails its condition the original error is
   * rethrown; its index in the transaction is `1 + index` here.
   */
  readonly alsoWrite?: readonly Record<string, unknown>[];
}

/**
 * Moves an order along the state machine with one conditional write: legal only from the
 * transition's source states, so of two racing transitions exactly one wins (the other gets
 * 409). Cancelling or expiring an order that still holds stock returns it in the same
 * transaction; shipping consumes it.
 */
export async function transitionOrder(
  orderId: string,
  action: OrderAction,
  options: TransitionOptions = {},
): Promise<Order> {
  const { tableName } = table();
  const current = await getOrder(orderId);
  if (!current || (options.ownerId !== undefined && current.userId !== options.ownerId)) {
    throw new NotFound(`No order with id ${orderId}.`);
  }
  const transition = TRANSITIONS[action];
  const from = transition.from as readonly OrderStatus[];
  if (!from.includes(current.status)) {
    throw new Conflict(`The order is ${current.status}; it cannot ${action} from there.`);
  }
  const to: OrderStatus = transition.to;
  const now = new Date().toISOString();
  const extra = setFields(options.set ?? {}, 'set_');
  const names: Record<string, string> = { '#status': 'status', ...options.condition?.names, ...extra.names };
  const values: Record<string, unknown> = {
    ...extra.values,
    ':to': to,
    ':from': current.status,
    ':gsi2pk': ordersInStatus(to),
    ':now': now,
    ':history': [historyEntry(to, options.detail)],
    ...options.condition?.values,
  };
  const sets = [
    '#status = :to',
    'gsi2pk = :gsi2pk',
    'updatedAt = :now',
    'history = list_append(history, :history)',
    ...extra.sets,
  ];
  const condition = `#status = :from${options.condition ? ` AND ${options.condition.expression}` : ''}`;
  const returnsStock = HOLDS_STOCK.includes(current.status) && RETURNS_STOCK.includes(to);
  for (let round = 0; ; round++) {
    const releases = returnsStock ? await releaseLines(current.items) : [];
    try {
      await transactWrite({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: orderKey(orderId),
              UpdateExpression: `SET ${sets.join(', ')}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
          ...(options.alsoWrite ?? []),
          ...releases,
        ],
      });
      break;
    } catch (error) {
      if (isConditionFailure(error, 0)) {
        throw new Conflict(`The order changed meanwhile; it cannot ${action} now.`);
      }
      const firstRelease = 1 + (options.alsoWrite?.length ?? 0);
      const productGone = releases.some((_, i) => isConditionFailure(error, firstRelease + i));
      // A product was deleted between our read and the write: return the others' stock.
      if (productGone && round < 2) continue;
      throw error;
    }
  }
  return (await getOrder(orderId)) as Order;
}

/** Appends to an order's history without changing its state. */
export async function appendHistory(
  orderId: string,
  type: string,
  detail?: Record<string, unknown>,
  set?: Record<string, unknown>,
): Promise<void> {
  const { tableName } = table();
  const { sets, names, values } = setFields(set ?? {}, 'set_');
  values[':history'] = [historyEntry(type, detail)];
  sets.push('history = list_append(history, :history)');
  await updateItem({
    TableName: tableName,
    Key: orderKey(orderId),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
    ExpressionAttributeValues: values,
  });
}

/**
 * Unpaid orders past their payment window, oldest first: a Query on the pending-status
 * partition of gsi2, bounded by creation time through the ULID sort key, never a Scan. One
 * page per call; `after` (the previous page's `next`) continues.
 */
export async function dueUnpaidOrders(
  now: Date,
  limit = 100,
  after?: string,
): Promise<{ orders: Order[]; next: string | undefined }> {
  const { client, tableName } = table();
  const createdBefore = ulidTimePrefix(now.getTime() - paymentWindowMinutes() * 60_000);
  const partition = ordersInStatus('pending_payment');
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEX.gsi2,
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :bound',
      FilterExpression: 'expiresAt <= :now',
      ExpressionAttributeValues: {
        ':pk': partition,
        ':bound': `${createdBefore}ZZZZZZZZZZZZZZZZ`,
        ':now': now.toISOString(),
      },
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { ...orderKey(after), gsi2pk: partition, gsi2sk: after } } : {}),
    }),
  );
  const next = out.LastEvaluatedKey?.gsi2sk;
  return { orders: (out.Items ?? []).map(orderFromItem), next: typeof next === 'string' ? next : undefined };
}

/**
 * Orders in one status whose payment attempt has no known outcome (`error`, `processing`, or
 * `pending` for a webhook that never came) since before `startedBefore`, newest first: a Query
 * on the status partition of gsi2, from `createdAfter` on (ULID bound), with a filter on the
 * payment. For reconciliation, which runs on a schedule, never on a request path. One page per
 * call; `after` continues.
 */
export async function ordersWithUnsettledPayment(
  status: OrderStatus,
  options: { createdAfter: Date; startedBefore: Date; limit?: number; after?: string },
): Promise<{ orders: Order[]; next: string | undefined }> {
  const { client, tableName } = table();
  const partition = ordersInStatus(status);
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEX.gsi2,
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk > :from',
      FilterExpression:
        'payment.#paymentStatus IN (:error, :processing, :pending) AND (attribute_not_exists(payment.startedAt) OR payment.startedAt < :before)',
      ExpressionAttributeNames: { '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ':pk': partition,
        ':from': ulidTimePrefix(options.createdAfter.getTime()),
        ':error': 'error',
        ':processing': 'processing',
        ':pending': 'pending',
        ':before': options.startedBefore.toISOString(),
      },
      ScanIndexForward: false,
      Limit: options.limit ?? 100,
      ...(options.after
        ? { ExclusiveStartKey: { ...orderKey(options.after), gsi2pk: partition, gsi2sk: options.after } }
        : {}),
    }),
  );
  const next = out.LastEvaluatedKey?.gsi2sk;
  return { orders: (out.Items ?? []).map(orderFromItem), next: typeof next === 'string' ? next : undefined };
}

/**
 * The order in an order item as stored, or in a stream image of one; undefined when the item
 * is not an order or not a well-formed one (stream consumers treat that as a poison record).
 */
export function orderFromStreamImage(item: Record<string, unknown>): Order | undefined {
  if (item.entity !== ORDER_ENTITY) return undefined;
  const parsed = orderSchema.safeParse(orderFromItem(item));
  return parsed.success ? parsed.data : undefined;
}

/**
 * Every order in one status, a page at a time, oldest first: the gsi2 Query on the status
 * partition, never a Scan. For admin commands that walk history (the recommendations backfill).
 */
export async function* pagesOfOrdersInStatus(status: OrderStatus, pageSize = 100): AsyncGenerator<Order[]> {
  const { client, tableName } = table();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.gsi2,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': ordersInStatus(status) },
        Limit: pageSize,
        ExclusiveStartKey: start,
      }),
    );
    yield (out.Items ?? []).map(orderFromItem);
    start = out.LastEvaluatedKey;
  } while (start);
}

/**
 * The ids of every order linked to a user, oldest first: a strongly consistent Query of the
 * user's link partition (written in each order's transaction, so nothing committed is missed)
 * together with the gsi1 Query, which alone knows orders placed before links were written;
 * those are old enough for the index to hold them.
 */
async function orderIdsOfUser(userId: string): Promise<string[]> {
  const [links, indexed] = await Promise.all([
    queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ordersOfUser(userId) },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    }),
    queryAll({
      IndexName: INDEX.gsi1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': ordersOfUser(userId) },
      ProjectionExpression: 'id',
    }),
  ]);
  return [
    ...new Set([...links.map((link) => String(link.sk)), ...indexed.map((order) => String(order.id))]),
  ].sort();
}

/** All of a user's orders (export, erasure), oldest first: the links, then the orders read consistently. */
export async function allOrdersOfUser(userId: string): Promise<Order[]> {
  return (await getOrders(await orderIdsOfUser(userId))).filter((order) => order.userId === userId);
}

/**
 * Account erasure keeps orders as financial records but unlinks them from the person: the
 * user id, the index entry that finds them by user, the link item and the user id in history
 * entries the customer made (`by`) are removed, in one transaction per order. The history is
 * rewritten only if no entry was appended meanwhile (a webhook, say); otherwise it is read
 * again. Complete because it runs after `beginErasure`: no order can be placed for the user
 * any more, and every order placed before has its link (see docs/access-patterns.md).
 */
export async function anonymizeOrdersOfUser(userId: string): Promise<void> {
  const { tableName } = table();
  for (const id of await orderIdsOfUser(userId)) {
    const forgetLink = { Delete: { TableName: tableName, Key: orderLinkKey(userId, id) } };
    for (let order = await getOrder(id); ; order = await getOrder(id)) {
      if (order?.userId !== userId) {
        // Already unlinked (an earlier, interrupted erasure): only the link may be left.
        await transactWrite({ TransactItems: [forgetLink] });
        break;
      }
      try {
        await transactWrite({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: orderKey(id),
                UpdateExpression: 'REMOVE userId, gsi1pk, gsi1sk SET history = :history',
                ConditionExpression: 'userId = :userId AND size(history) = :length',
                ExpressionAttributeValues: {
                  ':history': historyWithoutCustomer(order.history, userId),
                  ':length': order.history.length,
                  ':userId': userId,
                },
              },
            },
            forgetLink,
          ],
        });
        break;
      } catch (error) {
        if (!isConditionFailure(error, 0)) throw error;
      }
    }
  }
}
