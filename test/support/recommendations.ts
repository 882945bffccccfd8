import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { table } from '../../functions/core/db.ts';
import { orderKey } from '../../functions/orders/keys.ts';
import type { Order } from '../../functions/orders/model.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { transitionOrder } from '../../functions/orders/store.ts';
import { popularPartition, relatedKey } from '../../functions/recommendations/keys.ts';
import type { PopularScope } from '../../functions/recommendations/model.ts';
import { modifiedItem } from './stream-events.ts';

type Item = Record<string, unknown>;

/** One order line as the orders store takes it. */
export interface Line {
  readonly productId: string;
  readonly quantity: number;
}

/** An order item exactly as stored (what a stream image carries). */
async function storedOrder(orderId: string): Promise<Item> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: orderKey(orderId),
      ConsistentRead: true,
    }),
  );
  if (!out.Item) throw new Error(`No order ${orderId}.`);
  return out.Item;
}

/**
 * Moves an order along the state machine through the orders store and returns the stream
 * record of that change (old and new image as stored), as the table's stream carries it.
 */
async function transitionRecord(orderId: string, action: 'pay' | 'cancel' | 'ship'): Promise<DynamoDBRecord> {
  const before = await storedOrder(orderId);
  await transitionOrder(orderId, action, {
    ...(action === 'pay'
      ? { set: { payment: { attempt: 1, status: 'succeeded', paymentMethod: 'pm_card_visa' } } }
      : {}),
  });
  const after = await storedOrder(orderId);
  return modifiedItem(before, after);
}

/** Places an order for a user and pays it through the orders store; returns it with the payment's stream record. */
export async function paidOrder(
  userId: string,
  lines: readonly Line[],
): Promise<{ order: Order; paid: DynamoDBRecord }> {
  const { order } = await createOrder(userId, { items: [...lines] }, `recs-${randomUUID()}`);
  return { order, paid: await transitionRecord(order.id, 'pay') };
}

/** Cancels an order through the orders store; returns the stream record of the cancellation. */
export const cancelRecord = (orderId: string): Promise<DynamoDBRecord> => transitionRecord(orderId, 'cancel');

/** Ships an order; returns the stream record (a change the consumer must ignore). */
export const shipRecord = (orderId: string): Promise<DynamoDBRecord> => transitionRecord(orderId, 'ship');

/**
 * Every recommendation aggregate that mentions one of the products, read straight from the
 * table: their co-purchase items and the day buckets of the given scopes. For "nothing
 * changed" comparisons.
 */
export async function aggregatesOf(
  productIds: readonly string[],
  scopes: readonly string[],
): Promise<Item[]> {
  const { client, tableName } = table();
  const read = async (pk: string, sk?: string) =>
    (
      await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: sk ? 'pk = :pk AND sk = :sk' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk, ...(sk ? { ':sk': sk } : {}) },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const parts = await Promise.all([
    ...productIds.map((id) => read(relatedKey(id).pk, relatedKey(id).sk)),
    ...scopes.map((scope) => read(popularPartition(scope as PopularScope))),
  ]);
  return parts.flat();
}
