import { declareEnv, requireEnv } from '../core/config.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { SUBPROTOCOL, type WebSocketEvent, type WebSocketResult } from './model.ts';
import { connectWithinCap } from './store.ts';

declareEnv('WEBSOCKET_MAX_CONNECTIONS_PER_USER', (value) =>
  /^[1-9]\d{0,3}$/.test(value) ? undefined : 'expected a whole number from 1 to 9999',
);

/**
 * `$connect`: the authorizer has let the user in; remember the connection for delivery. A user
 * holds at most `WEBSOCKET_MAX_CONNECTIONS_PER_USER` connections: the oldest beyond that are
 * forgotten, and the close-connections consumer closes their sockets (README, "Real time").
 */
export const handler = lambda(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const { connectionId, connectedAt, authorizer } = event.requestContext;
  const userId = authorizer?.userId;
  // Only reachable without the authorizer if the route were misconfigured: refuse.
  if (typeof userId !== 'string' || userId === '') return { statusCode: 401 };
  const max = Number(requireEnv('WEBSOCKET_MAX_CONNECTIONS_PER_USER'));
  const { saved, evicted } = await connectWithinCap(
    userId,
    connectionId,
    new Date(connectedAt ?? Date.now()),
    max,
  );
  // A valid token of an account that is gone or being erased: nothing to connect to.
  if (!saved) return { statusCode: 401 };
  if (evicted.length > 0)
    logger.info('closing the oldest connections', { userId, evicted: evicted.length, max });
  logger.info('connected', { connectionId, userId });
  // Choosing the subprotocol is what lets a browser complete the handshake.
  return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOL } };
});
