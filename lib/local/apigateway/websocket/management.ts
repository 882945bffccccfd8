import type http from 'node:http';
import type { ConnectionRegistry } from './connections.ts';
import { WEBSOCKET_QUOTAS } from './definition.ts';

/**
 * The `@connections` management API (`POST/GET/DELETE /<stage>/@connections/<id>`), as the SDK's
 * `ApiGatewayManagementApiClient` calls it: post a frame to a connection, describe it, close it;
 * 410 for a connection that is gone.
 */
export function manageConnection(
  connections: ConnectionRegistry,
  stageName: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = /^\/([^/]+)\/@connections\/([^/]+)$/.exec(url.pathname);
  const error = (status: number, type: string, message: string | null) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ message }));
  };
  if (!match || match[1] !== stageName) return error(403, 'ForbiddenException', 'Forbidden');
  // The SDK signs with SigV4; an unsigned call is refused as API Gateway refuses it.
  if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
    return error(403, 'ForbiddenException', 'Missing Authentication Token');
  }
  const connection = connections.get(decodeURIComponent(match[2] as string));
  if (!connection || connection.socket.readyState !== connection.socket.OPEN) {
    return error(410, 'GoneException', null);
  }
  if (req.method === 'POST') {
    if (body.length > WEBSOCKET_QUOTAS.maxMessageBytes) {
      return error(413, 'PayloadTooLargeException', 'Message too long');
    }
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      connection.socket.send(text.decode(body));
    } catch {
      connection.socket.send(body, { binary: true });
    }
    res.writeHead(200);
    res.end();
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      // The management API's JSON names are camelCase (its model's jsonName), timestamps ISO 8601.
      JSON.stringify({
        connectedAt: new Date(connection.connectedAt).toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      }),
    );
    return;
  }
  if (req.method === 'DELETE') {
    connection.closing = { code: 1000, reason: 'Closed by the server' };
    connection.socket.close(1000);
    res.writeHead(204);
    res.end();
    return;
  }
  return error(403, 'ForbiddenException', 'Forbidden');
}
