import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { putProduct } from '../../functions/catalog/store.ts';
import { useTable } from '../../functions/core/db.ts';
import { logger } from '../../functions/core/logger.ts';
import { createOrder } from '../../functions/orders/store.ts';
import { demoProducts } from '../../lib/local/seed.ts';
import { aProduct } from '../support/products.ts';
import { LOCAL_CREDENTIALS, useFreshTable } from '../support/table.ts';

/** What DynamoDB reported one command consumed. */
interface Consumption {
  readonly command: string;
  readonly read: number;
  readonly write: number;
}

interface ReportedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Asks DynamoDB Local for the consumed capacity of every command the stores send (the same
 * commands, with ReturnConsumedCapacity added when they did not ask) and records it.
 */
function meteredClient(tableName: string): {
  consumed: Consumption[];
  client: DynamoDBDocumentClient;
  tableName: string;
  destroy: () => void;
} {
  const consumed: Consumption[] = [];
  const raw = new DynamoDBClient({
    endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args);
      const output = result.output as { ConsumedCapacity?: ReportedCapacity | ReportedCapacity[] };
      const reports = [output.ConsumedCapacity ?? []].flat();
      for (const report of reports) {
        const total = report.CapacityUnits ?? 0;
        const read = report.ReadCapacityUnits ?? 0;
        const write = report.WriteCapacityUnits ?? 0;
        const command = String(context.commandName).replace(/Command$/, '');
        // Local reports only CapacityUnits for some commands: attribute it by what the command does.
        const writes = /Put|Update|Delete|Write/.test(command);
        consumed.push({
          command,
          read: read || write ? read : writes ? 0 : total,
          write: read || write ? write : writes ? total : 0,
        });
      }
      return result;
    },
    { step: 'initialize', name: 'meterConsumedCapacity' },
  );
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  useTable(client, tableName);
  return { consumed, client, tableName, destroy: () => raw.destroy() };
}

/**
 * An item's size as DynamoDB bills it (attribute names plus values: UTF-8 strings, numbers of
 * about one byte per two digits plus one, 1 byte for booleans and nulls, 3 bytes plus 1 per
 * element for lists and maps).
 */
function itemSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number')
    return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((total: number, v) => total + 1 + itemSize(v), 0);
  return (
    3 +
    Object.entries(value as Record<string, unknown>).reduce(
      (total, [name, v]) => total + 1 + Buffer.byteLength(name, 'utf8') + itemSize(v),
      0,
    )
  );
}

/** A top-level item's size (no map overhead at the top). */
const topLevelSize = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce((total, [name, v]) => total + Buffer.byteLength(name, 'utf8') + itemSize(v), 0);

/** What real DynamoDB charges for a transactional write of these items: 2 WCU per started KB of each. */
const transactionalWcu = (items: readonly Record<string, unknown>[]): number =>
  items.reduce((total, item) => total + 2 * Math.ceil(topLevelSize(item) / 1024), 0);

const sum = (items: readonly Consumption[], field: 'read' | 'write') =>
  items.reduce((total, item) => total + item[field], 0);

describe('the read and write capacity one order creation consumes (DynamoDB Local ConsumedCapacity)', () => {
  let meter: ReturnType<typeof meteredClient>;
  const figures: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const { tableName } = await useFreshTable();
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
        'capacity-user-01',
        { items: products.map((product) => ({ productId: product.id, quantity: 1 })) },
        key,
      );
      const placed = info.mock.calls.find(([message]) => message === 'order placed');
      const commands = [...meter.consumed];
      // The items the transaction wrote, as stored now (a product update is billed on the larger image).
      const keys = [
        { pk: `IDEMPOTENCY#capacity-user-01`, sk: `create-order#${key}` },
        { pk: `ORDER#${order.id}`, sk: 'ORDER' },
        ...products.map((product) => ({ pk: `PRODUCT#${product.id}`, sk: 'PRODUCT' })),
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
    '%i line(s): a consistent key read, one consistent batch read of the products, one transaction of lines + 2 items',
    async (lines) => {
      const { commands, logged, written } = await measure(lines);
      expect(commands.map((c) => c.command)).toEqual(['GetItem', 'BatchGetItem', 'TransactWriteItems']);
      const [keyRead, productsRead, transaction] = commands as [Consumption, Consumption, Consumption];
      // Strongly consistent reads of items under 4 KB: 1 RCU each (the absent key record too).
      expect(keyRead.read).toBe(1);
      expect(productsRead.read).toBe(lines);
      expect(transaction.read).toBe(0);
      expect(transaction.write).toBeGreaterThan(0);
      // The figure the function logs with 'order placed' is the transaction's, as DynamoDB reported it.
      expect(logged).toEqual([expect.objectContaining({ CapacityUnits: transaction.write })]);
      // Real DynamoDB bills 2 WCU per started KB of every item a transaction writes.
      expect(written).toHaveLength(lines + 2);
      const billed = transactionalWcu(written);
      expect(billed).toBeGreaterThanOrEqual(2 * (lines + 2));
      figures.push({
        lines,
        dynamodbLocal: { rcu: sum(commands, 'read'), wcu: sum(commands, 'write') },
        realDynamoDbEstimate: { rcu: 1 + lines, wcu: billed },
        itemBytes: written.map(topLevelSize),
      });
    },
  );

  it('a replayed key costs reads only: the key record and the order', async () => {
    const product = aProduct({ stock: 5 });
    await putProduct(product);
    const input = { items: [{ productId: product.id, quantity: 1 }] };
    vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    await createOrder('capacity-user-02', input, 'capacity-replay-key');
    meter.consumed.length = 0;
    const again = await createOrder('capacity-user-02', input, 'capacity-replay-key');
    expect(again.replayed).toBe(true);
    expect(meter.consumed.map((c) => c.command)).toEqual(['GetItem', 'GetItem']);
    expect(sum(meter.consumed, 'write')).toBe(0);
    figures.push({ replay: true, dynamodbLocal: { rcu: sum(meter.consumed, 'read'), wcu: 0 } });
  });
});
