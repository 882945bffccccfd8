import { INDEX, isConditionFailure, queryAll, table, transactWrite } from '../core/db.ts';
import { historyWithoutCustomer } from './history.ts';
import { orderKey, orderLinkKey, ordersOfUser } from './keys.ts';
import type { Order } from './model.ts';
import { getOrder, getOrders } from './store.ts';

/* The orders domain's part of a user's personal data: its export and its erasure (unlinking). */

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
