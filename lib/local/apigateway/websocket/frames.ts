import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import type { Connection } from './connections.ts';
import type { WebSocketIntegration } from './integration.ts';

/** The value a route selection expression (`$request.body.a.b`) picks from a frame, if any. */
export function selectRouteKey(expression: string, body: string): string | undefined {
  const match = /^\$request\.body\.(.+)$/.exec(expression);
  if (!match) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const key of (match[1] as string).split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** A JSON error frame the way API Gateway sends one to a WebSocket client. */
const gatewayFrame = (message: string, connectionId: string, requestId: string) =>
  JSON.stringify({ message, connectionId, requestId });

/**
 * Routes one frame as API Gateway does: by the route selection expression (else `$default`) to
 * its function; a failure answers an error frame, and a route with a route response sends the
 * function's answer back.
 */
export async function routeFrame(
  integration: WebSocketIntegration,
  connection: Connection,
  data: RawData,
  isBinary: boolean,
): Promise<void> {
  const { api } = integration;
  connection.lastActiveAt = Date.now();
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  const body = isBinary ? buffer.toString('base64') : buffer.toString('utf8');
  const selected = isBinary ? undefined : selectRouteKey(api.routeSelectionExpression, body);
  const route =
    (selected && !selected.startsWith('$') ? api.routes.get(selected) : undefined) ??
    api.routes.get('$default');
  const context = { ...integration.requestContext(connection), messageId: randomUUID() };
  if (!route) {
    connection.socket.send(gatewayFrame('Forbidden', connection.id, context.requestId));
    return;
  }
  const started = performance.now();
  const outcome = await integration.invoke(route.functionLogicalId, {
    requestContext: {
      routeKey: route.routeKey,
      eventType: 'MESSAGE',
      ...context,
      ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
    },
    body,
    isBase64Encoded: isBinary,
  });
  integration.log(
    `WS ${route.routeKey} ${connection.id} -> ${outcome.ok ? 'ok' : outcome.error.errorType} ${(performance.now() - started).toFixed(1)} ms`,
  );
  if (!outcome.ok) {
    const timedOut = outcome.error.errorType === 'Sandbox.Timedout';
    connection.socket.send(
      gatewayFrame(
        timedOut ? 'Endpoint request timed out' : 'Internal server error',
        connection.id,
        context.requestId,
      ),
    );
    return;
  }
  if (!route.returnsResponse) return;
  const result = outcome.result as { body?: unknown } | string | undefined;
  const answer = typeof result === 'string' ? result : result?.body;
  if (typeof answer === 'string' && connection.socket.readyState === connection.socket.OPEN) {
    connection.socket.send(answer);
  }
}

/** Runs `$disconnect` for a closed connection (not awaited: the server's `settled()` waits for it). */
export function invokeDisconnect(
  integration: WebSocketIntegration,
  connection: Connection,
  code: number,
  reason: string,
): void {
  const route = integration.api.routes.get('$disconnect');
  if (!route) return;
  const host = integration.host();
  const event = {
    headers: { Host: host },
    multiValueHeaders: { Host: [host] },
    requestContext: {
      routeKey: '$disconnect',
      disconnectStatusCode: code,
      eventType: 'DISCONNECT',
      disconnectReason: reason,
      ...integration.requestContext(connection),
      ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
    },
    isBase64Encoded: false,
  };
  integration.invoke(route.functionLogicalId, event).then(
    (outcome) => {
      if (!outcome.ok)
        integration.log(`  $disconnect failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    },
    () => undefined,
  );
}
