import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getProducts, releaseStock, reserveStock } from '../catalog/store.ts';
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
import { badRequest, conflict, HttpError, notFound } from '../core/errors.ts';
import { claimIdempotencyKey, replayOf, requestHash } from '../core/idempotency.ts';
import { newId, ULID_PATTERN, ulidTimePrefix } from '../core/ids.ts';
import { logger } from '../core/logger.ts';
import {
  type CreateOrderInput,
  type HistoryEntry,
  HOLDS_STOCK,
  type Order,
  type OrderAction,
  type OrderLine,
  type OrderStatus,
  type Payment,
  RETURNS_STOCK,
  TRANSITIONS,
} from './model.ts';

// Key templates of the orders domain; see docs/access-patterns.md.
const orderKey = (id: string) => ({ pk: `ORDER#${id}`, sk: 'ORDER' });
const ordersOfUser = (userId: string) => `ORDERS_OF#${userId}`;
const ordersInStatus = (status: OrderStatus) => `ORDER_STATUS#${status}`;

const IDEMPOTENCY_SCOPE = 'create-order';
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

const unprocessable = (detail: string, errors?: { path: string; message: string }[]) =>
  new HttpError(422, 'unprocessable-order', 'The order cannot be placed', detail, errors ? { errors } : {});

/** 422 naming the lines whose product does not exist (or no longer). */
const productsGone = (input: CreateOrderInput, lines: readonly CreateOrderInput['items'][number][]) =>
  unprocessable(
    'Some products do not exist (any more).',
    lines.map((line) => ({
      path: `body.items.${input.items.indexOf(line)}.productId`,
      message: `No product ${line.productId}.`,
    })),
  );

/** The item of an order: found by id, by its customer (gsi1) and by its status (gsi2). */
function toItem(order: Order): OrderItem {
  return {
    ...orderKey(order.id),
    entity: 'order',
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

function fromItem(item: Record<string, unknown>): Order {
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

const historyEntry = (type: string, detail?: Record<string, unknown>): HistoryEntry => ({
  at: new Date().toISOString(),
  type,
  ...(detail ? { detail } : {}),
});

/** Minutes an unpaid order holds its stock (per environment). */
export function paymentWindowMinutes(): number {
  const value = Number(process.env.ORDER_PAYMENT_WINDOW_MINUTES ?? 30);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error('ORDER_PAYMENT_WINDOW_MINUTES must be a positive number.');
  return value;
}

/** The caller's order by id. Others' orders are "not found", never "forbidden": no existence leak. */
export async function getOrder(id: string): Promise<Order | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: orderKey(id), ConsistentRead: true }),
  );
  return out.Item ? fromItem(out.Item) : undefined;
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
    const existing = await replayOf(IDEMPOTENCY_SCOPE, userId, idempotencyKey, hash);
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
          claimIdempotencyKey(IDEMPOTENCY_SCOPE, userId, idempotencyKey, {
            requestHash: hash,
            resourceId: id,
          }),
          { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          ...input.items.map((line) =>
            reserveStock(
              line.productId,
              line.quantity,
              (products.get(line.productId) as { version: number }).version,
            ),
          ),
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
      const reasons = (
        error as { CancellationReasons?: { Code?: string; Item?: Record<string, { N?: string }> }[] }
      ).CancellationReasons;
      const failedLine = (i: number) => reasons?.[i + 2]?.Code === 'ConditionalCheckFailed';
      // Deleted between our read and the write: the same 422 as a product unknown from the start.
      const gone = input.items.filter((_, i) => failedLine(i) && !reasons?.[i + 2]?.Item);
      if (gone.length > 0) throw productsGone(input, gone);
      const short = input.items.filter(
        (line, i) => failedLine(i) && Number(reasons?.[i + 2]?.Item?.stock?.N ?? 0) < line.quantity,
      );
      if (short.length > 0) {
        throw new HttpError(
          409,
          'insufficient-stock',
          'Not enough stock',
          'Some products do not have enough stock.',
          {
            errors: short.map((line) => ({
              path: `body.items.${input.items.indexOf(line)}.quantity`,
              message: `Not enough stock of ${line.productId}.`,
            })),
          },
        );
      }
      // A product changed (price or details) between our read and the write: price again.
      if (attempt >= MAX_PRICE_RETRIES) throw conflict('The catalog changed while ordering. Try again.');
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
      throw badRequest('The cursor is not valid for this listing.', [
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
  const items = (out.Items ?? []).map(fromItem);
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
    throw notFound(`No order with id ${orderId}.`);
  }
  const transition = TRANSITIONS[action];
  const from = transition.from as readonly OrderStatus[];
  if (!from.includes(current.status)) {
    throw conflict(`The order is ${current.status}; it cannot ${action} from there.`);
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
    const releases = returnsStock ? await releasableLines(current.items) : [];
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
          ...releases.map((line) => releaseStock(line.productId, line.quantity)),
        ],
      });
      break;
    } catch (error) {
      if (isConditionFailure(error, 0)) {
        throw conflict(`The order changed meanwhile; it cannot ${action} now.`);
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

/** Lines whose product still exists (a deleted product has no stock to return to). */
async function releasableLines(lines: readonly OrderLine[]): Promise<OrderLine[]> {
  const existing = await getProducts(lines.map((line) => line.productId));
  return lines.filter((line) => existing.has(line.productId));
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
  return { orders: (out.Items ?? []).map(fromItem), next: typeof next === 'string' ? next : undefined };
}

/** All of a user's orders (export, erasure): the gsi1 Query, every page. */
export async function allOrdersOfUser(userId: string): Promise<Order[]> {
  const items = await queryAll({
    IndexName: INDEX.gsi1,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': ordersOfUser(userId) },
  });
  return items.map(fromItem);
}

/**
 * Account erasure keeps orders as financial records but unlinks them from the person: the
 * user id, the index entry that finds them by user, and the user id in history entries the
 * customer made (`by`) are removed. The history is rewritten only if no entry was appended
 * meanwhile (a webhook, say); otherwise it is read again.
 */
export async function anonymizeOrdersOfUser(userId: string): Promise<void> {
  const { tableName } = table();
  for (const listed of await allOrdersOfUser(userId)) {
    for (let order: Order | undefined = listed; order; ) {
      const history = [
        ...order.history.map((entry) =>
          entry.detail?.by === userId ? { ...entry, detail: { ...entry.detail, by: 'customer' } } : entry,
        ),
        historyEntry('customer_erased'),
      ];
      try {
        await updateItem({
          TableName: tableName,
          Key: orderKey(order.id),
          UpdateExpression: 'REMOVE userId, gsi1pk, gsi1sk SET history = :history',
          ConditionExpression: 'size(history) = :length',
          ExpressionAttributeValues: { ':history': history, ':length': order.history.length },
        });
        order = undefined;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        order = await getOrder(listed.id);
      }
    }
  }
}

const PAYMENT_SCOPE = 'pay-order';
/** Attempts per order: enough for a few declined cards, bounded so the order item stays small. */
export const MAX_PAYMENT_ATTEMPTS = 10;
/**
 * An attempt still `processing` after this long was abandoned (its function timed out or died
 * mid-charge: functions time out after 10 s): the next request re-sends it under its own
 * provider key, so the provider answers the first charge rather than making a second.
 */
const STALE_PROCESSING_MS = 60_000;

/** Whether an attempt's outcome is unknown, so it must be re-sent as it was rather than replaced. */
function needsResend(order: Order, payment: Payment, now = Date.now()): boolean {
  if (payment.status === 'error') return true;
  if (payment.status !== 'processing') return false;
  return now - Date.parse(payment.startedAt ?? order.updatedAt) > STALE_PROCESSING_MS;
}
const processedEventKey = (eventId: string) => ({ pk: `PAYMENT_EVENT#${eventId}`, sk: 'PAYMENT_EVENT' });
/** Processed-event records outlive any provider's redelivery window (Stripe: 3 days). */
const EVENT_RECORD_TTL_SECONDS = 30 * 24 * 3600;

/** What `claimPaymentAttempt` decided: charge now (a new attempt or a re-send), or answer as a replay. */
export type PaymentClaim =
  | { readonly replayed: false; readonly order: Order; readonly payment: Payment }
  | { readonly replayed: true; readonly order: Order };

/**
 * Claims the right to charge an order, in one transaction with the caller's idempotency key:
 * only a pending order whose previous attempt (if any) definitively failed can start one,
 * so a retried or raced request can never start a second charge. An attempt whose outcome
 * is unknown (provider error) is retried under the same attempt number, hence the same
 * provider idempotency key: the provider then answers the first charge again.
 */
export async function claimPaymentAttempt(
  userId: string,
  orderId: string,
  paymentMethod: string,
  idempotencyKey: string,
): Promise<PaymentClaim> {
  const hash = requestHash({ orderId, paymentMethod });
  const order = await getOrder(orderId);
  if (!order || order.userId !== userId) throw notFound(`No order with id ${orderId}.`);
  // The key is read AFTER the order: a request with the same key whose claim our order read
  // already saw has its key visible now (one transaction wrote both), so it is a replay here
  // rather than "another payment is processing".
  const replay = await replayOf(PAYMENT_SCOPE, userId, idempotencyKey, hash);
  if (replay) return resumeAttempt(orderId, replay);
  if (order.status !== 'pending_payment') throw conflict(`The order is ${order.status}; it cannot be paid.`);
  const previous = order.payment;
  // After an unknown outcome the same attempt is re-sent as it was (same card, same provider
  // key), so the provider answers the first charge instead of making a second one.
  const retrying = previous !== undefined && needsResend(order, previous);
  if (previous && !retrying && previous.status !== 'failed') {
    throw conflict(`A payment for this order is already ${previous.status}.`);
  }
  if (previous && retrying && paymentMethod !== previous.paymentMethod) {
    // It may have charged: another card now could charge twice.
    throw conflict(
      `The outcome of the last payment attempt is unknown; retry it with the same payment method (${previous.paymentMethod}) so it cannot charge twice.`,
    );
  }
  if (previous && !retrying && previous.attempt >= MAX_PAYMENT_ATTEMPTS) {
    throw conflict(`This order had ${MAX_PAYMENT_ATTEMPTS} failed payment attempts; place a new order.`);
  }
  const attempt = previous ? (retrying ? previous.attempt : previous.attempt + 1) : 1;
  const payment: Payment = {
    attempt,
    status: 'processing',
    paymentMethod: retrying ? previous.paymentMethod : paymentMethod,
    startedAt: new Date().toISOString(),
  };
  try {
    await transactWrite({
      TransactItems: [
        claimIdempotencyKey(PAYMENT_SCOPE, userId, idempotencyKey, {
          requestHash: hash,
          resourceId: `${orderId}#${attempt}`,
        }),
        startAttempt(orderId, payment, previous),
      ],
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Either a concurrent request with this key won (a replay), or one with another key did.
    const raced = await replayOf(PAYMENT_SCOPE, userId, idempotencyKey, hash);
    if (raced) return resumeAttempt(orderId, raced);
    throw conflict('Another payment for this order started meanwhile.');
  }
  return { order: { ...order, payment }, payment, replayed: false };
}

/** The order update that makes `payment` the current attempt, if the previous one is still as read. */
function startAttempt(orderId: string, payment: Payment, previous: Payment | undefined) {
  return {
    Update: {
      TableName: table().tableName,
      Key: orderKey(orderId),
      UpdateExpression: 'SET payment = :payment, updatedAt = :now, history = list_append(history, :history)',
      // The previous attempt must still be exactly as read (its start time too: two requests
      // re-sending one abandoned attempt must not both win).
      ConditionExpression: previous
        ? `#status = :pending AND payment.attempt = :previousAttempt AND payment.#paymentStatus = :previousStatus AND ${
            previous.startedAt
              ? 'payment.startedAt = :previousStartedAt'
              : 'attribute_not_exists(payment.startedAt)'
          }`
        : '#status = :pending AND attribute_not_exists(payment)',
      ExpressionAttributeNames: { '#status': 'status', ...(previous ? { '#paymentStatus': 'status' } : {}) },
      ExpressionAttributeValues: {
        ':payment': payment,
        ':pending': 'pending_payment',
        ':now': new Date().toISOString(),
        ':history': [
          historyEntry(previous?.attempt === payment.attempt ? 'payment_resent' : 'payment_started', {
            attempt: payment.attempt,
            paymentMethod: payment.paymentMethod,
          }),
        ],
        ...(previous ? { ':previousAttempt': previous.attempt, ':previousStatus': previous.status } : {}),
        ...(previous?.startedAt ? { ':previousStartedAt': previous.startedAt } : {}),
      },
    },
  };
}

/**
 * A payment request repeated with its Idempotency-Key. Normally the answer is the order as it
 * is now. But if that key's attempt ended in an unknown outcome (the provider did not answer,
 * or the function died mid-charge) the repeat is the client doing what the 502 told it to:
 * the attempt is re-sent with its own
 * provider key, by whichever repeat flips it back to processing first.
 */
async function resumeAttempt(orderId: string, resourceId: string): Promise<PaymentClaim> {
  const attempt = Number(resourceId.slice(resourceId.lastIndexOf('#') + 1));
  const order = (await getOrder(orderId)) as Order;
  const previous = order.payment;
  if (order.status !== 'pending_payment' || previous?.attempt !== attempt || !needsResend(order, previous)) {
    return { order, replayed: true };
  }
  const payment: Payment = {
    attempt,
    status: 'processing',
    paymentMethod: previous.paymentMethod,
    startedAt: new Date().toISOString(),
  };
  try {
    await updateItem(startAttempt(orderId, payment, previous).Update);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { order: (await getOrder(orderId)) as Order, replayed: true };
  }
  return { order: { ...order, payment }, payment, replayed: false };
}

/** The provider idempotency key of an order's payment attempt: one charge per attempt, ever. */
export const chargeKey = (orderId: string, attempt: number) => `order-${orderId}-attempt-${attempt}`;

/**
 * Records an attempt's non-final outcome (failed, pending, error) if it is still the current
 * attempt and unsettled; false if not (a webhook settled it first, or a newer attempt began).
 * `alsoWrite` (e.g. the record that a webhook event was processed) happens with it or not at
 * all; its own condition failures are thrown, at index `1 + i`.
 */
export function recordPaymentOutcome(
  orderId: string,
  payment: Payment,
  note: Record<string, unknown>,
  alsoWrite: readonly Record<string, unknown>[] = [],
): Promise<boolean> {
  return writePayment(orderId, payment, historyEntry(`payment_${payment.status}`, note), alsoWrite, {
    expression: 'payment.#paymentStatus IN (:processing, :pending, :error)',
    names: { '#paymentStatus': 'status' },
    values: { ':processing': 'processing', ':pending': 'pending', ':error': 'error' },
  });
}

/**
 * Records a refund of the order's payment attempt (the whole `payment`, refund included, as
 * the caller read and amended it), unless a newer attempt replaced it. A refund not (yet)
 * succeeded never overwrites one that succeeded: a late "pending" answer must not undo the
 * webhook that reported the money back.
 */
export function recordRefund(
  orderId: string,
  payment: Payment,
  type: string,
  detail: Record<string, unknown>,
  alsoWrite: readonly Record<string, unknown>[] = [],
): Promise<boolean> {
  if (payment.refund?.status === 'succeeded') {
    return writePayment(orderId, payment, historyEntry(type, detail), alsoWrite);
  }
  if (payment.refund?.status === 'failed') {
    // Only a refund that never got anywhere is marked failed, not one a parallel request made.
    return writePayment(orderId, payment, historyEntry(type, detail), alsoWrite, {
      expression: '(attribute_not_exists(payment.refund) OR payment.refund.#refundStatus = :failed)',
      names: { '#refundStatus': 'status' },
      values: { ':failed': 'failed' },
    });
  }
  return writePayment(orderId, payment, historyEntry(type, detail), alsoWrite, {
    expression: '(attribute_not_exists(payment.refund) OR payment.refund.#refundStatus <> :succeeded)',
    names: { '#refundStatus': 'status' },
    values: { ':succeeded': 'succeeded' },
  });
}

/** Replaces the current attempt's `payment` if it is still that attempt and `condition` holds. */
async function writePayment(
  orderId: string,
  payment: Payment,
  entry: HistoryEntry,
  alsoWrite: readonly Record<string, unknown>[],
  condition?: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
): Promise<boolean> {
  const { tableName } = table();
  const update = {
    TableName: tableName,
    Key: orderKey(orderId),
    UpdateExpression: 'SET payment = :payment, updatedAt = :now, history = list_append(history, :history)',
    ConditionExpression: `payment.attempt = :attempt${condition ? ` AND ${condition.expression}` : ''}`,
    ...(condition ? { ExpressionAttributeNames: condition.names } : {}),
    ExpressionAttributeValues: {
      ...condition?.values,
      ':payment': payment,
      ':attempt': payment.attempt,
      ':now': new Date().toISOString(),
      ':history': [entry],
    },
  };
  try {
    if (alsoWrite.length === 0) await updateItem(update);
    else await transactWrite({ TransactItems: [{ Update: update }, ...alsoWrite] });
    return true;
  } catch (error) {
    if (alsoWrite.length === 0 ? isConditionFailure(error) : isConditionFailure(error, 0)) return false;
    throw error;
  }
}

/** The transaction item that marks a provider event processed; a second delivery fails it. */
export function claimPaymentEvent(eventId: string, detail: Record<string, unknown>) {
  return {
    Put: {
      TableName: table().tableName,
      Item: {
        ...processedEventKey(eventId),
        entity: 'payment-event',
        ...detail,
        processedAt: new Date().toISOString(),
        expiresAtEpoch: Math.floor(Date.now() / 1000) + EVENT_RECORD_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Records a provider event that changes nothing (a duplicate effect, an out-of-order
 * delivery) so it is still processed exactly once; returns false if it was already recorded.
 */
export async function recordPaymentEventOnly(
  eventId: string,
  orderId: string | undefined,
  detail: Record<string, unknown>,
): Promise<boolean> {
  const { client, tableName } = table();
  const claim = claimPaymentEvent(eventId, detail);
  try {
    if (orderId && (await getOrder(orderId))) {
      await transactWrite({
        TransactItems: [
          claim,
          {
            Update: {
              TableName: tableName,
              Key: orderKey(orderId),
              UpdateExpression: 'SET history = list_append(history, :history)',
              ExpressionAttributeValues: { ':history': [historyEntry('provider_event', detail)] },
            },
          },
        ],
      });
    } else {
      await client.send(new PutCommand(claim.Put));
    }
    return true;
  } catch (error) {
    if (isConditionFailure(error, 0) || isConditionFailure(error)) return false;
    throw error;
  }
}

/** Whether a provider event was processed already (a cheap early exit for redeliveries). */
export async function paymentEventProcessed(eventId: string): Promise<boolean> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: processedEventKey(eventId), ConsistentRead: true }),
  );
  return out.Item !== undefined;
}
