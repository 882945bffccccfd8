import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useTable } from '../../functions/core/db.ts';
import { LOCAL_CREDENTIALS } from './table.ts';

/** What DynamoDB reported one command consumed. */
export interface Consumption {
  readonly command: string;
  readonly read: number;
  readonly write: number;
  /** Items a TransactWriteItems writes, or keys a BatchGetItem asks for. */
  readonly items?: number;
  /**
   * For a TransactWriteItems: what real DynamoDB would bill (DynamoDB Local under-reports
   * transactions): 2 WCU per started KB of each item put, 2 for each small item updated or
   * checked (markers, profiles: under 1 KB).
   */
  readonly billedWrite?: number;
}

/**
 * The real-DynamoDB write estimate of a transaction's items, as the stores wrote them (this
 * middleware runs before the document client marshals them).
 */
function transactionBilling(
  transactItems: readonly Record<string, { Item?: Record<string, unknown> }>[],
): number {
  return transactItems.reduce((total, entry) => {
    const item = entry.Put?.Item;
    return total + (item ? transactionalWcu([item]) : 2);
  }, 0);
}

/** How many items a command names: transaction items or batch-read keys. */
function itemsNamed(input: {
  TransactItems?: unknown[];
  RequestItems?: Record<string, { Keys?: unknown[] }>;
}): number | undefined {
  if (input.TransactItems) return input.TransactItems.length;
  if (input.RequestItems) {
    return Object.values(input.RequestItems).reduce(
      (total, request) => total + (request.Keys?.length ?? 0),
      0,
    );
  }
  return undefined;
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
export function meteredClient(tableName: string): {
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
      const input = args.input as { ReturnConsumedCapacity?: string } & Parameters<typeof itemsNamed>[0];
      const items = itemsNamed(input);
      const billed = input.TransactItems
        ? transactionBilling(input.TransactItems as Parameters<typeof transactionBilling>[0])
        : undefined;
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
          ...(items === undefined ? {} : { items }),
          ...(billed === undefined ? {} : { billedWrite: billed }),
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
export const topLevelSize = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce((total, [name, v]) => total + Buffer.byteLength(name, 'utf8') + itemSize(v), 0);

/** What real DynamoDB charges for a transactional write of these items: 2 WCU per started KB of each. */
export const transactionalWcu = (items: readonly Record<string, unknown>[]): number =>
  items.reduce((total, item) => total + 2 * Math.ceil(topLevelSize(item) / 1024), 0);

export const sum = (items: readonly Consumption[], field: 'read' | 'write') =>
  items.reduce((total, item) => total + item[field], 0);
