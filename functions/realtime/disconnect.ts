import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import type { WebSocketEvent, WebSocketResult } from './model.ts';
import { removeConnection } from './store.ts';

/** `$disconnect`: forget the connection. API Gateway calls it at most once and may not call it at all. */
export const handler = lambda(async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const { connectionId, authorizer } = event.requestContext;
  const userId = authorizer?.userId;
  if (typeof userId === 'string' && userId !== '') await removeConnection(userId, connectionId);
  logger.info('disconnected', { connectionId, userId });
  return { statusCode: 200 };
});
