import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { writeWhileAccountOpen } from '../accounts/erasure-fence.ts';
import { deleteKeys, isConditionFailure, queryAll, table } from '../core/db.ts';
import { connectionKey, connectionsLeaseKey, connectionsPartition } from './keys.ts';
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
 * `$connect`'s write: records the connection and evicts the oldest beyond `max`, both while
 * holding the user's connections lease, so parallel handshakes take turns. Without it they each
 * read a list missing the others' items (or evicted an item whose own handshake was still
 * waiting), and a burst of 12 ended with more or fewer than `max`. `saved` is false when the
 * account is gone (nothing written, nothing evicted).
 */
export async function connectWithinCap(
  userId: string,
  connectionId: string,
  connectedAt: Date,
  max: number,
): Promise<{ saved: boolean; evicted: string[] }> {
  return withConnectionsLease(userId, connectionId, async () => {
    if (!(await saveConnection(userId, connectionId, connectedAt))) return { saved: false, evicted: [] };
    return { saved: true, evicted: await evictBeyond(userId, connectionId, max) };
  });
}

const LEASE_MS = 5_000;

/**
 * Runs `work` holding the user's connections lease: a conditional put that succeeds when no
 * other `$connect` holds it (or its holder died and it lapsed), retried with jitter, then
 * deleted if still ours. Past about `LEASE_MS` of waiting it runs anyway (better an extra
 * socket than a refused handshake).
 */
async function withConnectionsLease<T>(userId: string, holder: string, work: () => Promise<T>): Promise<T> {
  const { client, tableName } = table();
  const key = connectionsLeaseKey(userId);
  const deadline = Date.now() + LEASE_MS;
  let held = false;
  while (!held && Date.now() < deadline) {
    const now = Date.now();
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...key,
            holder,
            until: now + LEASE_MS,
            expiresAtEpoch: Math.ceil((now + LEASE_MS) / 1000) + 60,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      held = true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
    }
  }
  try {
    return await work();
  } finally {
    if (held) {
      await client
        .send(
          new DeleteCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: 'holder = :holder',
            ExpressionAttributeValues: { ':holder': holder },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
    }
  }
}

/**
 * Keeps a user at `max` connections: deletes the items of the oldest beyond that (by
 * `connectedAt`, then id), never the one being opened, and returns their ids. Deleting an item is
 * what closes its socket (the close-connections consumer). Run by every `$connect` after its own
 * item is written, so parallel handshakes converge on the same newest ones; a connection whose
 * `$disconnect` never came is among the oldest and goes first.
 */
async function evictBeyond(userId: string, opening: string, max: number): Promise<string[]> {
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
