import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { emailKey, loginAttemptsKey, userPartition } from '../../functions/accounts/keys.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';

type Item = Record<string, unknown>;

/** Reads a backend's main table directly in DynamoDB Local, bypassing the API. */
export function tableReader(backend: ShopBackend) {
  const tableName = backend.tables[0]?.name;
  if (!tableName) throw new Error('The backend has no table.');
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: backend.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );

  /** Every item of one partition. */
  async function partition(pk: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Every item of the table whose serialized form mentions any of the needles. */
  async function itemsMentioning(...needles: string[]): Promise<Item[]> {
    const found: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await client.send(
        new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      for (const item of out.Items ?? []) {
        const text = JSON.stringify(item).toLowerCase();
        if (needles.some((needle) => text.includes(needle.toLowerCase()))) found.push(item);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /** The items the accounts domain keeps for a user: its USER# partition, identity and login counter. */
  async function accountItems(userId: string, email: string): Promise<Item[]> {
    const parts = await Promise.all([
      partition(userPartition(userId)),
      partition(emailKey(email).pk),
      partition(loginAttemptsKey(email).pk),
    ]);
    return parts.flat();
  }

  return { tableName, partition, itemsMentioning, accountItems, close: () => client.destroy() };
}
