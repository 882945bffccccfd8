import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  resourcesOfType,
  type TemplateResolver,
} from '../../cloudformation/template.ts';
import type { InvokeOutcome, LocalFunction } from '../../lambda/function.ts';

/** One route of the WebSocket API as the template defines it. */
export interface WebSocketRoute {
  readonly routeKey: string;
  readonly functionLogicalId: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  /** A route response exists: the function's answer is sent back to the client. */
  readonly returnsResponse: boolean;
}

/** The `$connect` authorizer: a Lambda REQUEST authorizer and where its identity comes from. */
export interface WebSocketAuthorizer {
  readonly functionLogicalId: string;
  /** `route.request.header.<Name>` / `route.request.querystring.<name>`: all must be present. */
  readonly identitySource: readonly string[];
}

export interface WebSocketApiDefinition {
  readonly apiId: string;
  readonly stageName: string;
  /** `$request.body.<path>`: picks a route by a field of each JSON frame. */
  readonly routeSelectionExpression: string;
  readonly routes: ReadonlyMap<string, WebSocketRoute>;
  readonly authorizers: ReadonlyMap<string, WebSocketAuthorizer>;
}

/** The logical id of the first `Fn::GetAtt <fn>.Arn` inside a value (integration and authorizer URIs). */
function functionInUri(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = functionInUri(item);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  return functionInUri(Object.values(value));
}

const refOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null ? (value as { Ref?: string }).Ref : undefined;

/**
 * Reads the WebSocket API from the template as API Gateway would deploy it: its routes and
 * the functions behind their integrations, route responses, the REQUEST authorizer, the
 * route selection expression and the stage name. Undefined when the app has no WebSocket API.
 */
export function readWebSocketApi(resolver: TemplateResolver): WebSocketApiDefinition | undefined {
  const { assembly } = resolver;
  const apis = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Api').filter(
    ({ resource }) => resource.Properties?.ProtocolType === 'WEBSOCKET',
  );
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new Error(`Expected one WebSocket API in the app, found ${apis.length}.`);
  const [api] = apis as [(typeof apis)[number]];
  const belongs = (props: Record<string, unknown> | undefined) => refOf(props?.ApiId) === api.logicalId;
  const integrations = new Map(
    resourcesOfType(assembly, 'AWS::ApiGatewayV2::Integration')
      .filter(({ resource }) => belongs(resource.Properties))
      .map(({ logicalId, resource }) => [logicalId, functionInUri(resource.Properties?.IntegrationUri)]),
  );
  const withResponse = new Set(
    resourcesOfType(assembly, 'AWS::ApiGatewayV2::RouteResponse')
      .filter(({ resource }) => belongs(resource.Properties))
      .map(({ resource }) => refOf(resource.Properties?.RouteId)),
  );
  const routes = new Map<string, WebSocketRoute>();
  for (const { logicalId, resource } of resourcesOfType(assembly, 'AWS::ApiGatewayV2::Route')) {
    const props = resource.Properties ?? {};
    if (!belongs(props)) continue;
    const routeKey = String(props.RouteKey);
    const target = props.Target as { 'Fn::Join'?: [string, unknown[]] } | undefined;
    const integrationId = refOf(target?.['Fn::Join']?.[1]?.[1]);
    const functionLogicalId = integrationId ? integrations.get(integrationId) : undefined;
    if (!functionLogicalId) throw new Error(`WebSocket route ${routeKey} has no Lambda integration.`);
    routes.set(routeKey, {
      routeKey,
      functionLogicalId,
      authorizationType: String(props.AuthorizationType ?? 'NONE'),
      authorizerId: refOf(props.AuthorizerId),
      returnsResponse: withResponse.has(logicalId),
    });
  }
  const authorizers = new Map<string, WebSocketAuthorizer>();
  for (const { logicalId, resource } of resourcesOfType(assembly, 'AWS::ApiGatewayV2::Authorizer')) {
    const props = resource.Properties ?? {};
    if (!belongs(props)) continue;
    const functionLogicalId = functionInUri(props.AuthorizerUri);
    if (props.AuthorizerType !== 'REQUEST' || !functionLogicalId) {
      throw new Error(`WebSocket authorizer ${logicalId} is not a Lambda REQUEST authorizer.`);
    }
    authorizers.set(logicalId, {
      functionLogicalId,
      identitySource: (props.IdentitySource as string[] | undefined) ?? [],
    });
  }
  const stage = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Stage').find(({ resource }) =>
    belongs(resource.Properties),
  );
  if (!stage) throw new Error('The WebSocket API has no stage.');
  return {
    apiId: api.logicalId,
    stageName: String(stage.resource.Properties?.StageName),
    routeSelectionExpression: String(
      api.resource.Properties?.RouteSelectionExpression ?? '$request.body.action',
    ),
    routes,
    authorizers,
  };
}

/** API Gateway's limits for WebSocket APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). */
export const WEBSOCKET_QUOTAS = {
  /** A message (and a @connections post) is at most 128 KB. */
  maxMessageBytes: 128 * 1024,
  idleTimeoutSeconds: 10 * 60,
  maxConnectionSeconds: 2 * 60 * 60,
} as const;

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

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly authorizer?: Record<string, unknown>;
  closing?: { code: number; reason: string };
  timers: NodeJS.Timeout[];
}

/** A connection id shaped like API Gateway's (16 characters, ending in `=`). */
const newConnectionId = () => `${randomBytes(11).toString('base64').slice(0, 15).replace(/[+/]/g, 'A')}=`;

function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Headers as the client sent them (original case), single- and multi-valued. */
function headersOf(req: http.IncomingMessage): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
    headers[name] = value;
  }
  return { headers, multiValueHeaders };
}

function queryOf(url: URL): {
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
} {
  const keys = [...new Set(url.searchParams.keys())];
  if (keys.length === 0) return {};
  return {
    queryStringParameters: Object.fromEntries(keys.map((k) => [k, url.searchParams.getAll(k).at(-1) ?? ''])),
    multiValueQueryStringParameters: Object.fromEntries(keys.map((k) => [k, url.searchParams.getAll(k)])),
  };
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

/** Whether every identity source of an authorizer is present in the request. */
function hasIdentity(sources: readonly string[], headers: Record<string, string>, url: URL): boolean {
  return sources.every((source) => {
    const header = /^route\.request\.header\.(.+)$/i.exec(source)?.[1];
    if (header) {
      const value = Object.entries(headers).find(
        ([name]) => name.toLowerCase() === header.toLowerCase(),
      )?.[1];
      return typeof value === 'string' && value.trim() !== '';
    }
    const query = /^route\.request\.querystring\.(.+)$/i.exec(source)?.[1];
    if (query) return (url.searchParams.get(query) ?? '') !== '';
    // Stage variables and context sources are always present here.
    return true;
  });
}

/** The Allow/Deny decision of an authorizer's IAM policy for the method ARN. */
function policyAllows(result: unknown, methodArn: string): boolean | undefined {
  const document = (result as { policyDocument?: { Statement?: unknown } } | undefined)?.policyDocument;
  const statements = Array.isArray(document?.Statement) ? document.Statement : [];
  if (statements.length === 0) return undefined;
  const covers = (resource: unknown) => {
    const list = Array.isArray(resource) ? resource : [resource];
    return list.some(
      (r) =>
        typeof r === 'string' &&
        (r === methodArn ||
          r === '*' ||
          new RegExp(`^${r.split('*').map(escapeRegExp).join('.*')}$`).test(methodArn)),
    );
  };
  const relevant = statements.filter((s: { Resource?: unknown }) => covers(s.Resource));
  if (relevant.some((s: { Effect?: string }) => s.Effect === 'Deny')) return false;
  return relevant.some((s: { Effect?: string }) => s.Effect === 'Allow');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The authorizer context API Gateway passes on: `principalId` plus the `context` map (primitives only). */
function authorizerContext(result: unknown): Record<string, unknown> | undefined {
  const r = result as { principalId?: unknown; context?: Record<string, unknown> } | undefined;
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(r?.context ?? {})) {
    // API Gateway rejects objects and arrays in the context; a function that returns them fails.
    if (value !== null && typeof value === 'object') return undefined;
    context[key] = value;
  }
  return { ...context, principalId: r?.principalId === undefined ? undefined : String(r.principalId) };
}

/** A JSON error frame the way API Gateway sends one to a WebSocket client. */
const gatewayFrame = (message: string, connectionId: string, requestId: string) =>
  JSON.stringify({ message, connectionId, requestId });

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
  const { api, functions } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const idleMs = (options.idleTimeoutSeconds ?? WEBSOCKET_QUOTAS.idleTimeoutSeconds) * 1000;
  const maxMs = (options.maxConnectionSeconds ?? WEBSOCKET_QUOTAS.maxConnectionSeconds) * 1000;
  const connections = new Map<string, Connection>();
  const pending = new Set<Promise<unknown>>();
  let port = 0;
  const domainName = () => `localhost:${port}`;
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise)).catch(() => undefined);
    return promise;
  };

  const functionFor = (logicalId: string): LocalFunction => {
    const fn = functions.get(logicalId);
    if (!fn) throw new Error(`The WebSocket API refers to a function ${logicalId} that is not in the app.`);
    return fn;
  };

  const baseContext = (connection: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent'>) => {
    const now = new Date();
    return {
      extendedRequestId: randomUUID(),
      requestTime: requestTime(now),
      messageDirection: 'IN',
      stage: api.stageName,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId: randomUUID(),
      domainName: domainName(),
      connectionId: connection.id,
      apiId: api.apiId,
    };
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WEBSOCKET_QUOTAS.maxMessageBytes,
    // The subprotocol is whatever `$connect` answered with, set on the request below.
    handleProtocols: (_protocols, request) =>
      (request as http.IncomingMessage & { chosenProtocol?: string }).chosenProtocol ?? false,
  });

  const disconnect = (connection: Connection, code: number, reason: string) => {
    if (!connections.delete(connection.id)) return;
    for (const timer of connection.timers) clearTimeout(timer);
    const route = api.routes.get('$disconnect');
    if (!route) return;
    const event = {
      headers: { Host: domainName() },
      multiValueHeaders: { Host: [domainName()] },
      requestContext: {
        routeKey: '$disconnect',
        disconnectStatusCode: code,
        eventType: 'DISCONNECT',
        disconnectReason: reason,
        ...baseContext(connection),
        ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
      },
      isBase64Encoded: false,
    };
    track(functionFor(route.functionLogicalId).invoke(event)).then(
      (outcome) => {
        if (!outcome.ok)
          log(`  $disconnect failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      },
      () => undefined,
    );
  };

  const onFrame = async (connection: Connection, data: RawData, isBinary: boolean) => {
    connection.lastActiveAt = Date.now();
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const body = isBinary ? buffer.toString('base64') : buffer.toString('utf8');
    const selected = isBinary ? undefined : selectRouteKey(api.routeSelectionExpression, body);
    const route =
      (selected && !selected.startsWith('$') ? api.routes.get(selected) : undefined) ??
      api.routes.get('$default');
    const context = { ...baseContext(connection), messageId: randomUUID() };
    if (!route) {
      connection.socket.send(gatewayFrame('Forbidden', connection.id, context.requestId));
      return;
    }
    const started = performance.now();
    const outcome: InvokeOutcome = await track(
      functionFor(route.functionLogicalId).invoke({
        requestContext: {
          routeKey: route.routeKey,
          eventType: 'MESSAGE',
          ...context,
          ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
        },
        body,
        isBase64Encoded: isBinary,
      }),
    );
    log(
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
  };

  /** Runs the authorizer and `$connect`; resolves with how to answer the handshake. */
  const admit = async (
    req: http.IncomingMessage,
    connection: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent'>,
  ): Promise<
    | { ok: true; authorizer?: Record<string, unknown>; protocol?: string }
    | { ok: false; status: number; message: string }
  > => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { headers, multiValueHeaders } = headersOf(req);
    const query = queryOf(url);
    const route = api.routes.get('$connect');
    let authorizer: Record<string, unknown> | undefined;
    if (route && route.authorizationType === 'CUSTOM') {
      const definition = route.authorizerId ? api.authorizers.get(route.authorizerId) : undefined;
      if (!definition) return { ok: false, status: 500, message: 'Internal server error' };
      // A missing identity source is refused before the authorizer runs.
      if (!hasIdentity(definition.identitySource, headers, url)) {
        return { ok: false, status: 401, message: 'Unauthorized' };
      }
      const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${api.apiId}/${api.stageName}/$connect`;
      const outcome = await track(
        functionFor(definition.functionLogicalId).invoke({
          type: 'REQUEST',
          methodArn,
          headers,
          multiValueHeaders,
          ...query,
          stageVariables: {},
          requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...baseContext(connection) },
        }),
      );
      if (!outcome.ok) {
        const unauthorized = outcome.error.errorMessage === 'Unauthorized';
        if (!unauthorized)
          log(`  $connect authorizer failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
        return unauthorized
          ? { ok: false, status: 401, message: 'Unauthorized' }
          : { ok: false, status: 500, message: 'Internal server error' };
      }
      const allowed = policyAllows(outcome.result, methodArn);
      authorizer = authorizerContext(outcome.result);
      if (allowed === undefined || !authorizer)
        return { ok: false, status: 500, message: 'Internal server error' };
      if (!allowed) return { ok: false, status: 403, message: 'Forbidden' };
    }
    if (!route) return { ok: true, authorizer };
    const outcome = await track(
      functionFor(route.functionLogicalId).invoke({
        headers,
        multiValueHeaders,
        ...query,
        requestContext: {
          routeKey: '$connect',
          eventType: 'CONNECT',
          ...baseContext(connection),
          ...(authorizer ? { authorizer } : {}),
        },
        isBase64Encoded: false,
      }),
    );
    if (!outcome.ok) {
      log(`  $connect failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      return { ok: false, status: 500, message: 'Internal server error' };
    }
    const result = (outcome.result ?? {}) as { statusCode?: number; headers?: Record<string, string> };
    const status = Number(result.statusCode ?? 200);
    if (status < 200 || status > 299)
      return { ok: false, status, message: http.STATUS_CODES[status] ?? 'Error' };
    const protocol = Object.entries(result.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
    )?.[1];
    return { ok: true, authorizer, protocol };
  };

  const manage = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/([^/]+)\/@connections\/([^/]+)$/.exec(url.pathname);
    const error = (status: number, type: string, message: string | null) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ message }));
    };
    if (!match || match[1] !== api.stageName) return error(403, 'ForbiddenException', 'Forbidden');
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
      return res.end();
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        // The management API's JSON names are camelCase (its model's jsonName), timestamps ISO 8601.
        JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        }),
      );
    }
    if (req.method === 'DELETE') {
      connection.closing = { code: 1000, reason: 'Closed by the server' };
      connection.socket.close(1000);
      res.writeHead(204);
      return res.end();
    }
    return error(403, 'ForbiddenException', 'Forbidden');
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    manage(req, res, Buffer.concat(chunks));
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.replace(/\/$/, '') !== `/${api.stageName}`) {
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const identity = {
      id: newConnectionId(),
      connectedAt: Date.now(),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    socket.on('error', () => undefined);
    void admit(req, identity).then(
      (verdict) => {
        if (!verdict.ok) {
          log(`WS $connect ${identity.id} -> ${verdict.status}`);
          refuseUpgrade(socket, verdict.status, verdict.message);
          return;
        }
        (req as http.IncomingMessage & { chosenProtocol?: string }).chosenProtocol = verdict.protocol;
        wss.handleUpgrade(req, socket, head, (ws) => {
          const connection: Connection = {
            ...identity,
            socket: ws,
            lastActiveAt: Date.now(),
            authorizer: verdict.authorizer,
            timers: [],
          };
          connections.set(connection.id, connection);
          log(`WS $connect ${connection.id} -> 200`);
          const idleCheck = () => {
            const idleFor = Date.now() - connection.lastActiveAt;
            if (idleFor >= idleMs) {
              connection.closing = { code: 1001, reason: 'Going away' };
              ws.close(1001, 'Going away');
            } else connection.timers.push(setTimeout(idleCheck, idleMs - idleFor).unref());
          };
          connection.timers.push(setTimeout(idleCheck, idleMs).unref());
          connection.timers.push(
            setTimeout(() => {
              connection.closing = { code: 1001, reason: 'Going away' };
              ws.close(1001, 'Going away');
            }, maxMs).unref(),
          );
          ws.on('message', (data, isBinary) => void onFrame(connection, data, isBinary));
          ws.on('close', (code, reason) =>
            disconnect(
              connection,
              connection.closing?.code ?? code,
              connection.closing?.reason ?? reason.toString(),
            ),
          );
          ws.on('error', () => undefined);
        });
      },
      (error: unknown) => {
        log(`WS $connect ${identity.id} failed: ${error instanceof Error ? error.message : String(error)}`);
        refuseUpgrade(socket, 500, 'Internal server error');
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const endpoint = `ws://localhost:${port}`;
  return {
    endpoint,
    url: `${endpoint}/${api.stageName}`,
    port,
    get connectionCount() {
      return connections.size;
    },
    settled: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    stop: async () => {
      for (const connection of [...connections.values()]) {
        connection.closing = { code: 1001, reason: 'Going away' };
        connection.socket.terminate();
        disconnect(connection, 1001, 'Going away');
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...pending]);
    },
  };
}
