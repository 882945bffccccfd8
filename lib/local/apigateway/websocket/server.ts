import http from 'node:http';
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalFunction } from '../../lambda/function.ts';
import { closeServer, listen, readBody } from '../../net.ts';
import { type Admission, admit } from './connect.ts';
import {
  type Connection,
  type ConnectionIdentity,
  ConnectionRegistry,
  newConnectionId,
} from './connections.ts';
import { WEBSOCKET_QUOTAS, type WebSocketApiDefinition } from './definition.ts';
import { invokeDisconnect, routeFrame } from './frames.ts';
import { WebSocketIntegration } from './integration.ts';
import { manageConnection } from './management.ts';

export interface WebSocketServerOptions {
  readonly api: WebSocketApiDefinition;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly port?: number;
  readonly host?: string;
  readonly log?: (line: string) => void;
  /** Close connections idle this long (API Gateway: 10 minutes). */
  readonly idleTimeoutSeconds?: number;
  /** Close connections open this long (API Gateway: 2 hours). */
  readonly maxConnectionSeconds?: number;
}

export interface LocalWebSocketServer {
  /** `ws://localhost:<port>`: what the template's `ApiEndpoint` resolves to. */
  readonly endpoint: string;
  /** `ws://localhost:<port>/<stage>`: what clients connect to. */
  readonly url: string;
  readonly port: number;
  /** Open connections right now. */
  readonly connectionCount: number;
  /** Resolves when every `$disconnect` invocation started so far has finished. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** Refuses a WebSocket handshake with an HTTP status, as API Gateway does. */
function refuseUpgrade(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** What the server shares among its parts. */
interface ServerParts {
  readonly integration: WebSocketIntegration;
  readonly connections: ConnectionRegistry;
  readonly wss: WebSocketServer;
  readonly limits: { idleMs: number; maxMs: number };
  /** Forgets a closed connection and runs `$disconnect` for it (once). */
  readonly disconnect: (connection: Connection, code: number, reason: string) => void;
}

/** Completes an admitted handshake: the connection is registered, its frames routed, its close reported. */
function accept(
  parts: ServerParts,
  identity: ConnectionIdentity,
  verdict: Extract<Admission, { ok: true }>,
  ws: WebSocket,
): void {
  const connection: Connection = {
    ...identity,
    socket: ws,
    lastActiveAt: Date.now(),
    authorizer: verdict.authorizer,
    timers: [],
  };
  parts.connections.add(connection, parts.limits);
  parts.integration.log(`WS $connect ${connection.id} -> 200`);
  ws.on('message', (data, isBinary) => void routeFrame(parts.integration, connection, data, isBinary));
  ws.on('close', (code, reason) =>
    parts.disconnect(
      connection,
      connection.closing?.code ?? code,
      connection.closing?.reason ?? reason.toString(),
    ),
  );
  ws.on('error', () => undefined);
}

/** A handshake: on the stage's path, admitted by the authorizer and `$connect`, else refused. */
function onUpgrade(parts: ServerParts, req: http.IncomingMessage, socket: Socket, head: Buffer): void {
  const { integration, wss } = parts;
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.replace(/\/$/, '') !== `/${integration.api.stageName}`) {
    refuseUpgrade(socket, 403, 'Forbidden');
    return;
  }
  const identity: ConnectionIdentity = {
    id: newConnectionId(),
    connectedAt: Date.now(),
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    userAgent: String(req.headers['user-agent'] ?? ''),
  };
  socket.on('error', () => undefined);
  void admit(integration, req, identity).then(
    (verdict) => {
      if (!verdict.ok) {
        integration.log(`WS $connect ${identity.id} -> ${verdict.status}`);
        refuseUpgrade(socket, verdict.status, verdict.message);
        return;
      }
      (req as http.IncomingMessage & { chosenProtocol?: string }).chosenProtocol = verdict.protocol;
      wss.handleUpgrade(req, socket, head, (ws) => accept(parts, identity, verdict, ws));
    },
    (error: unknown) => {
      integration.log(
        `WS $connect ${identity.id} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      refuseUpgrade(socket, 500, 'Internal server error');
    },
  );
}

/**
 * Serves the WebSocket API locally from the template, the way API Gateway does: the REQUEST
 * authorizer and `$connect` decide the handshake, each frame is routed by the route selection
 * expression (else `$default`) to its function, a route with a route response sends the
 * function's answer back, `$disconnect` runs when a socket closes, idle and overlong
 * connections are closed, and the `@connections` management API (POST/GET/DELETE
 * `/<stage>/@connections/<id>`) works for the SDK client, so the deployed code path runs
 * unchanged.
 */
export async function startWebSocketServer(options: WebSocketServerOptions): Promise<LocalWebSocketServer> {
  const { api } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  let port = 0;
  const integration = new WebSocketIntegration(api, options.functions, log, () => `localhost:${port}`);
  const connections = new ConnectionRegistry();
  const parts: ServerParts = {
    integration,
    connections,
    wss: new WebSocketServer({
      noServer: true,
      maxPayload: WEBSOCKET_QUOTAS.maxMessageBytes,
      // The subprotocol is whatever `$connect` answered with, set on the request in onUpgrade.
      handleProtocols: (_protocols, request) =>
        (request as http.IncomingMessage & { chosenProtocol?: string }).chosenProtocol ?? false,
    }),
    limits: {
      idleMs: (options.idleTimeoutSeconds ?? WEBSOCKET_QUOTAS.idleTimeoutSeconds) * 1000,
      maxMs: (options.maxConnectionSeconds ?? WEBSOCKET_QUOTAS.maxConnectionSeconds) * 1000,
    },
    disconnect: (connection, code, reason) => {
      if (connections.remove(connection)) invokeDisconnect(integration, connection, code, reason);
    },
  };
  const server = http.createServer((req, res) => {
    // A client that goes away mid-body has nobody to answer; it must not end the process.
    readBody(req).then(
      (body) => manageConnection(connections, api.stageName, req, res, body),
      () => res.destroy(),
    );
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) =>
    onUpgrade(parts, req, socket, head),
  );
  port = await listen(server, options.port, options.host ?? '127.0.0.1');
  const endpoint = `ws://localhost:${port}`;
  return {
    endpoint,
    url: `${endpoint}/${api.stageName}`,
    port,
    get connectionCount() {
      return connections.size;
    },
    settled: () => integration.settled(),
    stop: async () => {
      for (const connection of connections.all()) {
        connection.closing = { code: 1001, reason: 'Going away' };
        connection.socket.terminate();
        parts.disconnect(connection, 1001, 'Going away');
      }
      parts.wss.close();
      await closeServer(server);
      await integration.drain();
    },
  };
}
