import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { logger } from '../core/logger.ts';
import { streamHandler } from '../core/stream.ts';
import { isGone, managementApi } from './management-api.ts';
import { CONNECTION_ENTITY } from './model.ts';

/**
 * Closes the socket of every connection item that was deleted: when the per-user cap evicted it
 * (`$connect`), when every session was revoked (a password change) or the account erased. The
 * item is the authority on whether a socket may stay open, so whatever deletes it needs no
 * access to the management API. Items deleted because the socket is gone already (`$disconnect`,
 * a delivery that met 410, the TTL) get a 410 here, which is fine. The event source mapping lets
 * only removed `connection` items through.
 */
export const handler = streamHandler(async (change) => {
  const item = change.oldImage;
  if (change.eventName !== 'REMOVE' || item?.entity !== CONNECTION_ENTITY) return;
  const connectionId = String(item.connectionId);
  try {
    await managementApi().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    logger.info('closed a connection', { connectionId });
  } catch (error) {
    // Gone already: nothing to close. Anything else fails the record, which is retried.
    if (!isGone(error)) throw error;
  }
});
