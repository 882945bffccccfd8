import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketRoute } from '../../../lib/local/apigateway/websocket/definition.ts';
import { selectRouteKey } from '../../../lib/local/apigateway/websocket/frames.ts';
import {
  type LocalWebSocketServer,
  startWebSocketServer,
} from '../../../lib/local/apigateway/websocket/server.ts';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import { openSocket } from '../../support/websocket.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const eventsFile = path.join(mkdtempSync(path.join(tmpdir(), 'ws-fixture-')), 'events.jsonl');

function fixture(logicalId: string, handler: string): LocalFunction {
  return new LocalFunction(
    {
      logicalId,
      functionName: `local-${logicalId}`,
      codeDir: FIXTURES,
      handler: `websocket.${handler}`,
      environment: { EVENTS_FILE: eventsFile },
      timeoutSeconds: 2,
      memoryMb: 256,
    },
    () => undefined,
  );
}

const route = (
  routeKey: string,
  functionLogicalId: string,
  extra: Partial<WebSocketRoute> = {},
): [string, WebSocketRoute] => [
  routeKey,
  { routeKey, functionLogicalId, authorizationType: 'NONE', returnsResponse: true, ...extra },
];

let server: LocalWebSocketServer;
const functions = new Map(
  (['authorize', 'connect', 'disconnect', 'echo', 'explode'] as const).map((name) => [
    name,
    fixture(name, name),
  ]),
);

beforeAll(async () => {
  server = await startWebSocketServer({
    api: {
      apiId: 'WsApi',
      stageName: 'test',
      routeSelectionExpression: '$request.body.action',
      routes: new Map([
        route('$connect', 'connect', {
          authorizationType: 'CUSTOM',
          authorizerId: 'Auth',
          returnsResponse: false,
        }),
        route('$disconnect', 'disconnect', { returnsResponse: false }),
        route('$default', 'echo'),
        route('shout', 'echo'),
        route('silent', 'echo', { returnsResponse: false }),
        route('explode', 'explode'),
      ]),
      authorizers: new Map([
        ['Auth', { functionLogicalId: 'authorize', identitySource: ['route.request.header.X-Verdict'] }],
      ]),
    },
    functions,
    idleTimeoutSeconds: 1,
    log: () => undefined,
  });
});

afterAll(async () => {
  await server?.stop();
  await Promise.all([...functions.values()].map((fn) => fn.stop()));
});

const open = (headers: Record<string, string>, query = '') =>
  new Promise<{ status: number } | WebSocket>((resolve) => {
    const ws = new WebSocket(`${server.url}${query}`, ['fixture.v1'], { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
  });

const reply = (ws: WebSocket) =>
  new Promise<Record<string, unknown>>((resolve) =>
    ws.once('message', (data) => resolve(JSON.parse(data.toString()))),
  );

describe('the local WebSocket server', () => {
  it('refuses a handshake without the identity source before running the authorizer (401)', async () => {
    expect(await openSocket(server.url)).toEqual({ ok: false, status: 401 });
  });

  it('maps the authorizer’s verdict to the handshake: Unauthorized 401, Deny 403, a crash or an object in the context 500', async () => {
    expect(await open({ 'x-verdict': 'unauthorized' })).toEqual({ status: 401 });
    expect(await open({ 'x-verdict': 'deny' })).toEqual({ status: 403 });
    expect(await open({ 'x-verdict': 'crash' })).toEqual({ status: 500 });
    expect(await open({ 'x-verdict': 'object-context' })).toEqual({ status: 500 });
  });

  it('refuses the handshake with the status $connect answers when it is not 2xx', async () => {
    expect(await open({ 'x-verdict': 'allow' }, '?status=429')).toEqual({ status: 429 });
  });

  it('refuses other paths than the stage with 403', async () => {
    const ws = new WebSocket(server.url.replace('/test', '/prod'), { headers: { 'x-verdict': 'allow' } });
    const status = await new Promise((resolve) =>
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(403);
  });

  it('routes frames by the selection expression, else to $default, and passes the authorizer context on', async () => {
    const ws = (await open({ 'x-verdict': 'allow' })) as WebSocket;
    expect(ws.protocol).toBe('fixture.v1');
    ws.send(JSON.stringify({ action: 'shout', text: 'hi' }));
    expect(await reply(ws)).toMatchObject({
      route: 'shout',
      authorizer: { userId: 'u1', n: 7, principalId: 'u1' },
    });
    ws.send(JSON.stringify({ action: 'nothing-by-that-name' }));
    expect(await reply(ws)).toMatchObject({ route: '$default' });
    ws.send('plain text');
    expect(await reply(ws)).toMatchObject({ route: '$default', body: 'plain text', isBase64Encoded: false });
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await reply(ws)).toMatchObject({ route: '$default', body: 'AQID', isBase64Encoded: true });
    ws.close();
  });

  it('sends nothing back for a route without a route response, and an API Gateway error frame when the function fails', async () => {
    const ws = (await open({ 'x-verdict': 'allow' })) as WebSocket;
    ws.send(JSON.stringify({ action: 'silent' }));
    ws.send(JSON.stringify({ action: 'explode' }));
    expect(await reply(ws)).toMatchObject({
      message: 'Internal server error',
      connectionId: expect.any(String),
    });
    ws.close();
  });

  it('closes an idle connection with 1001 and runs $disconnect with the reason', async () => {
    const ws = (await open({ 'x-verdict': 'allow' })) as WebSocket;
    const code = await new Promise((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1001);
    // The server sees the close after the client does; wait for its $disconnect to be recorded.
    const disconnects = () =>
      readFileSync(eventsFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { requestContext: { disconnectStatusCode?: number } });
    for (
      let i = 0;
      i < 40 && !disconnects().some((e) => e.requestContext.disconnectStatusCode === 1001);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await server.settled();
    const events = disconnects();
    expect(events).toContainEqual(
      expect.objectContaining({
        requestContext: expect.objectContaining({
          routeKey: '$disconnect',
          eventType: 'DISCONNECT',
          disconnectStatusCode: 1001,
          disconnectReason: 'Going away',
          authorizer: expect.objectContaining({ userId: 'u1' }),
        }),
      }),
    );
  });

  it('closes a connection that sends a message over 128 KB (1009)', async () => {
    const ws = (await open({ 'x-verdict': 'allow' })) as WebSocket;
    ws.send('x'.repeat(128 * 1024 + 1));
    const code = await new Promise((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1009);
  });
});

describe('route selection', () => {
  it('reads nested fields of JSON frames and ignores everything else', () => {
    expect(selectRouteKey('$request.body.action', '{"action":"a"}')).toBe('a');
    expect(selectRouteKey('$request.body.meta.kind', '{"meta":{"kind":"b"}}')).toBe('b');
    expect(selectRouteKey('$request.body.action', '{"other":1}')).toBeUndefined();
    expect(selectRouteKey('$request.body.action', 'not json')).toBeUndefined();
    expect(selectRouteKey('$request.body.action', '{"action":{"x":1}}')).toBeUndefined();
  });
});
