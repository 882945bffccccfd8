import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../lib/local/apigateway/http/server.ts';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

function fixture(logicalId: string, environment: Record<string, string>, timeoutSeconds = 2): LocalFunction {
  return new LocalFunction(
    {
      logicalId,
      functionName: `local-${logicalId}`,
      codeDir: FIXTURES,
      handler: 'echo.handler',
      environment: { AWS_LAMBDA_FUNCTION_NAME: `local-${logicalId}`, ...environment },
      timeoutSeconds,
      memoryMb: 256,
    },
    () => undefined,
  );
}

interface Echo {
  event: {
    routeKey: string;
    rawPath: string;
    rawQueryString: string;
    cookies?: string[];
    headers: Record<string, string>;
    queryStringParameters?: Record<string, string>;
    pathParameters?: Record<string, string>;
    body?: string;
    isBase64Encoded: boolean;
    requestContext: {
      requestId: string;
      routeKey: string;
      stage: string;
      time: string;
      timeEpoch: number;
      http: { method: string; path: string; sourceIp: string; userAgent: string; protocol: string };
    };
  };
  invocations: number;
  loadedAt: number;
  instanceId: string;
  env: Record<string, string>;
  context: { functionName: string; awsRequestId: string; remainingMs: number };
}

describe('the local API runtime', () => {
  let server: ApiServer;
  const first = fixture('First', { FIXTURE_NAME: 'first' });
  const second = fixture('Second', { FIXTURE_NAME: 'second' });
  const third = fixture('Third', { FIXTURE_NAME: 'third' }, 1);

  beforeAll(async () => {
    server = await startApiServer({
      api: {
        apiId: 'HttpApi',
        routes: [
          {
            routeKey: 'GET /things/{id}',
            method: 'GET',
            path: '/things/{id}',
            functionLogicalId: 'First',
            authorizationType: 'NONE',
            authorizationScopes: [],
          },
          {
            routeKey: 'GET /things/special',
            method: 'GET',
            path: '/things/special',
            functionLogicalId: 'Second',
            authorizationType: 'NONE',
            authorizationScopes: [],
          },
          {
            routeKey: 'POST /things',
            method: 'POST',
            path: '/things',
            functionLogicalId: 'First',
            authorizationType: 'NONE',
            authorizationScopes: [],
          },
          {
            routeKey: 'GET /private',
            method: 'GET',
            path: '/private',
            functionLogicalId: 'First',
            authorizationType: 'JWT',
            authorizationScopes: [],
          },
          {
            routeKey: 'GET /third/{op}',
            method: 'GET',
            path: '/third/{op}',
            functionLogicalId: 'Third',
            authorizationType: 'NONE',
            authorizationScopes: [],
          },
          {
            routeKey: '$default',
            functionLogicalId: 'Second',
            authorizationType: 'NONE',
            authorizationScopes: [],
          },
        ],
        cors: {
          allowOrigins: ['http://app.test'],
          allowMethods: ['*'],
          allowHeaders: ['content-type'],
          exposeHeaders: ['etag'],
          maxAge: 600,
        },
      },
      functions: new Map([
        ['First', first],
        ['Second', second],
        ['Third', third],
      ]),
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await server.stop();
    await Promise.all([first.stop(), second.stop(), third.stop()]);
  });

  const echo = async (pathAndQuery: string, init?: RequestInit): Promise<Echo> => {
    const res = await fetch(`${server.url}${pathAndQuery}`, init);
    expect(res.status).toBe(200);
    return (await res.json()) as Echo;
  };

  it('sends a payload 2.0 event with a full request context', async () => {
    const { event } = await echo('/things/a%20b?x=1', { headers: { 'user-agent': 'runtime-test' } });
    expect(event.routeKey).toBe('GET /things/{id}');
    expect(event.rawPath).toBe('/things/a%20b');
    expect(event.pathParameters).toEqual({ id: 'a b' });
    expect(event.requestContext).toMatchObject({
      routeKey: 'GET /things/{id}',
      stage: '$default',
      http: { method: 'GET', path: '/things/a%20b', sourceIp: '127.0.0.1', userAgent: 'runtime-test' },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('joins repeated query parameters and headers with commas, as API Gateway does', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${server.url}/things/1?tag=a&tag=b&single=c`, {
        headers: { 'x-multi': ['a', 'b'] },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const { event } = JSON.parse(body) as Echo;
    expect(event.rawQueryString).toBe('tag=a&tag=b&single=c');
    expect(event.queryStringParameters).toEqual({ tag: 'a,b', single: 'c' });
    expect(event.headers['x-multi']).toBe('a,b');
  });

  it('moves cookies into the cookies field', async () => {
    const { event } = await echo('/things/1', { headers: { cookie: 'a=1; b=2' } });
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers.cookie).toBeUndefined();
  });

  it('passes JSON bodies as text and binary bodies base64-encoded', async () => {
    const json = await echo('/things', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(json.event).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 1, 2, 250]);
    const binary = await echo('/things', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(binary.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(String(binary.event.body), 'base64')).toEqual(bytes);
  });

  it('prefers a literal path over a parameter, and falls back to $default', async () => {
    expect((await echo('/things/special')).env.FIXTURE_NAME).toBe('second');
    expect((await echo('/things/other')).env.FIXTURE_NAME).toBe('first');
    expect((await echo('/nowhere')).event.routeKey).toBe('$default');
  });

  it('keeps a path that starts with // a path (no route matches it), never reading a host from it', async () => {
    const res = await echo('//things/special');
    expect(res.event.routeKey).toBe('$default');
    expect(res.event.rawPath).toBe('//things/special');
  });

  it('answers over 10240 bytes of request line and header values with 431 before any function runs', async () => {
    expect((await fetch(`${server.url}/things/1`, { headers: { 'x-big': 'h'.repeat(9_000) } })).status).toBe(
      200,
    );
    const res = await fetch(`${server.url}/things/1`, { headers: { 'x-big': 'h'.repeat(11_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: 'Request Header Fields Too Large' });
    // A long path counts too; Node alone reset the connection past 16 KB.
    expect((await fetch(`${server.url}/things/${'a'.repeat(20_000)}`)).status).toBe(431);
  });

  it('gives each function its own environment and module state, cold once then warm', async () => {
    const a1 = await echo('/things/1');
    const a2 = await echo('/things/1');
    const b1 = await echo('/things/special');
    expect(a1.env).toEqual({ FIXTURE_NAME: 'first', AWS_LAMBDA_FUNCTION_NAME: 'local-First' });
    expect(b1.env.FIXTURE_NAME).toBe('second');
    expect(a2.loadedAt).toBe(a1.loadedAt);
    expect(a2.invocations).toBe(a1.invocations + 1);
    expect(a1.context.functionName).toBe('local-First');
    expect(a1.context.remainingMs).toBeGreaterThan(0);
    expect(a1.context.remainingMs).toBeLessThanOrEqual(2000);
  });

  it('runs concurrent requests in separate execution environments', async () => {
    const results = await Promise.all(Array.from({ length: 3 }, () => echo('/things/slow')));
    expect(new Set(results.map((r) => r.instanceId)).size).toBe(3);
  });

  it('enforces the timeout with API Gateway’s bare 500 (a Lambda function error), then serves from a fresh (cold) environment', async () => {
    const before = await echo('/third/hello');
    const slow = await fetch(`${server.url}/third/sleep`);
    expect(slow.status).toBe(500);
    expect(await slow.json()).toEqual({ message: 'Internal Server Error' });
    const after = await echo('/third/hello');
    expect(after.instanceId).not.toBe(before.instanceId);
    expect(after.invocations).toBe(1);
  });

  it('answers a thrown error with a bare 500, never the error text', async () => {
    const res = await fetch(`${server.url}/throw`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toBe('{"message":"Internal Server Error"}');
  });

  it('survives a function that exits its process', async () => {
    const res = await fetch(`${server.url}/exit`);
    expect(res.status).toBe(500);
    expect((await fetch(`${server.url}/shorthand`)).status).toBe(200);
  });

  it('turns a result without statusCode into 200 JSON, and cookies into set-cookie', async () => {
    const shorthand = await fetch(`${server.url}/shorthand`);
    expect(shorthand.headers.get('content-type')).toBe('application/json');
    expect(await shorthand.json()).toEqual({ hello: 'world' });
    const cookies = await fetch(`${server.url}/cookies`);
    expect(cookies.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('decodes base64 response bodies', async () => {
    const res = await fetch(`${server.url}/binary`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from('iVBORw0=', 'base64'));
  });

  it('never serves a JWT-protected route without a token', async () => {
    const res = await fetch(`${server.url}/private`);
    expect(res.status).toBe(401);
  });

  it('answers CORS preflights for allowed origins', async () => {
    const res = await fetch(`${server.url}/things/1`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'GET' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(res.headers.get('access-control-max-age')).toBe('600');
  });
});
