import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { SUBPROTOCOL, type WebSocketEvent, type WebSocketResult } from './model.ts';
import { saveConnection } from './store.ts';

/** `$connect`: the authorizer has let the user in; remember the connection for delivery. */
export const handler = lambda(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const { connectionId, connectedAt, authorizer } = event.requestContext;
  const userId = authorizer?.userId;
  // Only reachable without the authorizer if the route were misconfigured: refuse.
  if (typeof userId !== 'string' || userId === '') return { statusCode: 401 };
  // A valid token of an account that is gone or being erased: nothing to connect to.
  if (!(await saveConnection(userId, connectionId, new Date(connectedAt ?? Date.now())))) {
    return { statusCode: 401 };
  }
  logger.info('connected', { connectionId, userId });
  // Choosing the subprotocol is what lets a browser complete the handshake.
  return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOL } };
});
