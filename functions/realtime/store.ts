import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { writeWhileAccountOpen } from '../accounts/erasure-fence.ts';
import { deleteKeys, queryAll, table } from '../core/db.ts';
import { connectionKey, connectionsPartition } from './keys.ts';
import { CONNECTION_ENTITY } from './model.ts';

/**
 * API Gateway closes a WebSocket after 2 hours at most; an item outliving its socket (a
 * `$disconnect` that never ran) expires an hour after that, and a delivery to it meanwhile
 * gets `GoneException` and deletes it.
 */
export const CONNECTION_TTL_SECONDS = 3 * 3600;

export interface Connection {
  readonly connectionId: string;
  readonly connectedAt: string;
}

/**
 * Records an open connection of a user (`$connect`). Nothing else about the client is kept.
 * Only while the account is open (in one transaction with its profile check,
 * `writeWhileAccountOpen`): a socket opened during the account's erasure would leave an item
 * behind it. False when the account is gone.
 */
export async function saveConnection(
  userId: string,
  connectionId: string,
  connectedAt: Date,
): Promise<boolean> {
  return writeWhileAccountOpen(userId, [
    {
      Put: {
        TableName: table().tableName,
        Item: {
          ...connectionKey(userId, connectionId),
          entity: CONNECTION_ENTITY,
          connectionId,
          connectedAt: connectedAt.toISOString(),
          expiresAtEpoch: Math.floor(connectedAt.getTime() / 1000) + CONNECTION_TTL_SECONDS,
        },
      },
    },
  ]);
}

/** Forgets a connection (`$disconnect`, or a delivery that found it gone). Idempotent. */
export async function removeConnection(userId: string, connectionId: string): Promise<void> {
  const { client, tableName } = table();
  await client.send(new DeleteCommand({ TableName: tableName, Key: connectionKey(userId, connectionId) }));
}

/**
 * The connections of a user, read consistently: a phone that connected a moment before a
 * message was written must get it. One Query per user (a user has a handful at most).
 */
export async function connectionsOf(userId: string): Promise<Connection[]> {
  const { client, tableName } = table();
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': connectionsPartition(userId) },
      ProjectionExpression: 'connectionId, connectedAt',
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => ({
    connectionId: String(item.connectionId),
    connectedAt: String(item.connectedAt),
  }));
}

/**
 * Keeps a user at `max` connections: deletes the items of the oldest beyond that (by
 * `connectedAt`, then id), never the one being opened, and returns their ids. Deleting an item is
 * what closes its socket (the close-connections consumer). Run by every `$connect` after its own
 * item is written, so parallel handshakes converge on the same newest ones; a connection whose
 * `$disconnect` never came is among the oldest and goes first.
 */
export async function evictOldestConnections(
  userId: string,
  opening: string,
  max: number,
): Promise<string[]> {
  const others = (await connectionsOf(userId)).filter((c) => c.connectionId !== opening);
  const newestFirst = others.sort((a, b) =>
    a.connectedAt === b.connectedAt
      ? b.connectionId.localeCompare(a.connectionId)
      : b.connectedAt.localeCompare(a.connectedAt),
  );
  const evicted = newestFirst.slice(Math.max(0, max - 1)).map((c) => c.connectionId);
  await deleteKeys(evicted.map((connectionId) => connectionKey(userId, connectionId)));
  return evicted;
}

/**
 * Deletes every connection item of a user: on erasure (`DELETE /me`) and when every session is
 * revoked (a password change). The close-connections consumer then closes each socket through
 * `@connections` (DELETE), so none is left answering pings or receiving frames.
 */
export async function eraseConnections(userId: string): Promise<void> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': connectionsPartition(userId) },
    ProjectionExpression: 'pk, sk',
    ConsistentRead: true,
  });
  await deleteKeys(items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
}
