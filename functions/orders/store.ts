import { BatchGetCommand, type BatchGetCommandOutput, GetCommand } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '../core/config.ts';
import { isConditionFailure, putItems, setFields, table, transactWrite, updateItem } from '../core/db.ts';
import { Conflict, NotFound } from '../core/domain-errors.ts';
import { historyEntry } from './history.ts';
import { orderKey, ordersInStatus, ordersOfUser } from './keys.ts';
import {
  HOLDS_STOCK,
  ORDER_ENTITY,
  type Order,
  type OrderAction,
  type OrderStatus,
  orderSchema,
  RETURNS_STOCK,
  TRANSITIONS,
} from './model.ts';
import { releaseLines } from './stock.ts';

/*
 * The order item: its shape, point reads and the state machine's transitions. Placing an order:
 * placement-store.ts; listings and sweeps: listings-store.ts; erasure: personal-data-store.ts;
 * the payment part of the item: functions/payments/payment-store.ts.
 */

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
export function toItem(order: Order): OrderItem {
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
 * The order in an order item as stored, or in a stream image of one; undefined when the item
 * is not an order or not a well-formed one (stream consumers treat that as a poison record).
 */
export function orderFromStreamImage(item: Record<string, unknown>): Order | undefined {
  if (item.entity !== ORDER_ENTITY) return undefined;
  const parsed = orderSchema.safeParse(orderFromItem(item));
  return parsed.success ? parsed.data : undefined;
}
