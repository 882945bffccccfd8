import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import { INDEX, table } from '../core/db.ts';
import { InvalidInput } from '../core/domain-errors.ts';
import { ULID_PATTERN, ulidTimePrefix } from '../core/ids.ts';
import { orderKey, ordersInStatus, ordersOfUser, REFUND_FAILURES } from './keys.ts';
import type { Order, OrderStatus } from './model.ts';
import { getOrders, orderFromItem, paymentWindowMinutes } from './store.ts';

/*
 * Lists of orders, each one Query with a limit: a customer's (gsi1), a status's (gsi2), the
 * sweeps of the schedules, and the orders whose refund failed (their own partition).
 */

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
 * `pending` and `requires_action` for a webhook that never came) since before `startedBefore`,
 * newest first: a Query
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
        'payment.#paymentStatus IN (:error, :processing, :pending, :requiresAction) AND (attribute_not_exists(payment.startedAt) OR payment.startedAt < :before)',
      ExpressionAttributeNames: { '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ':pk': partition,
        ':from': ulidTimePrefix(options.createdAfter.getTime()),
        ':error': 'error',
        ':processing': 'processing',
        ':pending': 'pending',
        ':requiresAction': 'requires_action',
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
 * Orders with a refund that failed and has not been made since, newest order first: one Query
 * on the failure list, then the orders (one BatchGetItem). The list is small by nature (each
 * entry is an alarm), so two requests buy always-current orders instead of stale copies.
 */
export async function listOrdersWithFailedRefunds(
  limit: number,
  cursor?: string,
): Promise<{ items: Order[]; nextCursor: string | null }> {
  const { client, tableName } = table();
  const scope = 'orders:refund:failed';
  let exclusiveStartKey: Record<string, string> | undefined;
  if (cursor) {
    const { sk } = await decodeCursor(scope, cursor);
    if (typeof sk !== 'string' || !sk.includes('#')) {
      throw new InvalidInput('The cursor is not valid for this listing.', [
        { path: 'query.cursor', message: 'Invalid cursor.' },
      ]);
    }
    exclusiveStartKey = { pk: REFUND_FAILURES, sk };
  }
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': REFUND_FAILURES },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const markers = out.Items ?? [];
  const last = markers.at(-1);
  return {
    items: await getOrders(markers.map((marker) => String(marker.orderId))),
    nextCursor: out.LastEvaluatedKey && last ? await encodeCursor(scope, { sk: String(last.sk) }) : null,
  };
}
