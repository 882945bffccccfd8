/*
 * Key templates of the realtime domain, the only place they are spelled: a user's open WebSocket
 * connections, one item each, in one partition per user, so delivery finds them with one Query.
 * See docs/access-patterns.md.
 */

export const connectionsPartition = (userId: string) => `CONNECTIONS#${userId}`;
export const connectionKey = (userId: string, connectionId: string) => ({
  pk: connectionsPartition(userId),
  sk: connectionId,
});

/** The lease that makes a user's `$connect` evictions run one at a time (not a connection). */
export const connectionsLeaseKey = (userId: string) => ({ pk: `CONNECTIONS_LEASE#${userId}`, sk: 'LEASE' });
