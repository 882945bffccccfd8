import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { logger } from '../core/logger.ts';
import { BUSINESS_METRICS } from '../core/metric-names.ts';
import { countMetric } from '../core/metrics.ts';
import { isGone, managementApi } from './management-api.ts';
import type { ServerFrame } from './model.ts';
import { connectionsOf, removeConnection } from './store.ts';

export interface PushResult {
  readonly delivered: number;
  /** Connections that were gone; their items are deleted. */
  readonly gone: number;
}

/**
 * Posts one frame to every open connection of the given users. A connection that is gone
 * (closed without `$disconnect`, or expired) is deleted; any other failure is thrown, so the
 * stream record is retried (connections already served get the frame again: clients dedupe).
 */
export async function pushToUsers(userIds: readonly string[], frame: ServerFrame): Promise<PushResult> {
  const data = new TextEncoder().encode(JSON.stringify(frame));
  const targets = (
    await Promise.all(
      [...new Set(userIds)].map(async (userId) =>
        (await connectionsOf(userId)).map((c) => ({ userId, connectionId: c.connectionId })),
      ),
    )
  ).flat();
  let delivered = 0;
  let gone = 0;
  const failures: unknown[] = [];
  await Promise.all(
    targets.map(async ({ userId, connectionId }) => {
      try {
        await managementApi().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        delivered++;
      } catch (error) {
        if (!isGone(error)) {
          failures.push(error);
          countMetric(BUSINESS_METRICS.WebSocketDeliveryFailed);
          return;
        }
        gone++;
        await removeConnection(userId, connectionId);
      }
    }),
  );
  if (failures.length > 0) {
    logger.warn('frame not delivered to every connection', { failed: failures.length, delivered, gone });
    throw failures[0];
  }
  return { delivered, gone };
}
