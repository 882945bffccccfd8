import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { productKey } from '../../functions/catalog/keys.ts';
import { putProduct } from '../../functions/catalog/store.ts';
import { idempotencyRecordKey } from '../../functions/core/keys.ts';
import { logger } from '../../functions/core/logger.ts';
import { CREATE_ORDER_SCOPE, orderKey, orderLinkKey } from '../../functions/orders/keys.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { demoProducts } from '../../lib/demo/seed.ts';
import { type Consumption, meteredClient, sum, topLevelSize, transactionalWcu } from '../support/capacity.ts';
import { aProduct, storedProduct } from '../support/products.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

describe('the read and write capacity one order creation consumes (DynamoDB Local ConsumedCapacity)', () => {
  let meter: ReturnType<typeof meteredClient>;
  const figures: Record<string, unknown>[] = [];
  let buyer: string;
  let repeater: string;

  beforeAll(async () => {
    const { tableName } = await useFreshTable();
    [buyer, repeater] = (await Promise.all([aUser('capacity-1'), aUser('capacity-2')])).map((a) => a.id) as [
      string,
      string,
    ];
    meter = meteredClient(tableName);
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });

  afterAll(() => {
    meter.destroy();
    vi.restoreAllMocks();
    // The figures for the closing note.
    console.log(`[capacity] order creation:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
  });

  /** Creates an order of `lines` demo-sized products and returns what each command consumed. */
  async function measure(
    lines: number,
  ): Promise<{ commands: Consumption[]; logged: unknown; written: Record<string, unknown>[] }> {
    const products = demoProducts(lines).map((demo) => aProduct({ ...demo, id: aProduct().id, stock: 50 }));
    await Promise.all(products.map((product) => putProduct(product)));
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    meter.consumed.length = 0;
    try {
      const key = `capacity-key-${lines}-${Date.now()}`;
      const { order } = await createOrder(
        buyer,
        { items: products.map((product) => ({ productId: product.id, quantity: 1 })) },
        key,
      );
      const placed = info.mock.calls.find(([message]) => message === 'order placed');
      const commands = [...meter.consumed];
      // The items the transaction wrote, as stored now (a product update is billed on the larger image).
      const keys = [
        idempotencyRecordKey(CREATE_ORDER_SCOPE, buyer, key),
        orderKey(order.id),
        orderLinkKey(buyer, order.id),
        ...products.map((product) => productKey(product.id)),
      ];
      const written = await Promise.all(
        keys.map(async (Key) => {
          const out = await meter.client.send(new GetCommand({ TableName: meter.tableName, Key }));
          expect(out.Item, JSON.stringify(Key)).toBeDefined();
          return out.Item as Record<string, unknown>;
        }),
      );
      return {
        commands,
        logged: (placed?.[1] as { consumedCapacity?: unknown })?.consumedCapacity,
        written,
      };
    } finally {
      info.mockRestore();
    }
  }

  it.each([1, 5, 50])(
    '%i line(s): a consistent key read, one consistent batch read of the products, one transaction of lines + 3 items and an account check',
    async (lines) => {
      const { commands, logged, written } = await measure(lines);
      expect(commands.map((c) => c.command)).toEqual(['GetItem', 'BatchGetItem', 'TransactWriteItems']);
      const [keyRead, productsRead, transaction] = commands as [Consumption, Consumption, Consumption];
      // Strongly consistent reads of items under 4 KB: 1 RCU each (the absent key record too).
      expect(keyRead.read).toBe(1);
      expect(productsRead.read).toBe(lines);
      // The account check is a ConditionCheck of the (small) profile: billed with the writes.
      expect(transaction.write).toBeGreaterThan(0);
      // The figure the function logs with 'order placed' is the transaction's, as DynamoDB reported it.
      expect(logged).toEqual([expect.objectContaining({ CapacityUnits: transaction.write })]);
      // Real DynamoDB bills 2 WCU per started KB of every item a transaction writes.
      expect(written).toHaveLength(lines + 3);
      const billed = transactionalWcu(written) + 2; // + the check
      expect(billed).toBeGreaterThanOrEqual(2 * (lines + 4));
      figures.push({
        lines,
        dynamodbLocal: { rcu: sum(commands, 'read'), wcu: sum(commands, 'write') },
        realDynamoDbEstimate: { rcu: 1 + lines, wcu: billed },
        itemBytes: written.map(topLevelSize),
      });
    },
  );

  it('a replayed key costs reads only: the key record and the order', async () => {
    const product = await storedProduct({ stock: 5 });
    const input = { items: [{ productId: product.id, quantity: 1 }] };
    vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    await createOrder(repeater, input, 'capacity-replay-key');
    meter.consumed.length = 0;
    const again = await createOrder(repeater, input, 'capacity-replay-key');
    expect(again.replayed).toBe(true);
    expect(meter.consumed.map((c) => c.command)).toEqual(['GetItem', 'GetItem']);
    expect(sum(meter.consumed, 'write')).toBe(0);
    figures.push({ replay: true, dynamodbLocal: { rcu: sum(meter.consumed, 'read'), wcu: 0 } });
  });
});
