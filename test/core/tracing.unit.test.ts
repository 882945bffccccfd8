import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DAEMON_HEADER, parseDaemonAddress, parseTraceHeader } from '../../functions/core/xray.ts';

const VARIABLES = [
  'SHOP_TRACED_CALLS',
  'AWS_XRAY_DAEMON_ADDRESS',
  '_X_AMZN_TRACE_ID',
  '_HANDLER',
  'POWERTOOLS_SERVICE_NAME',
] as const;
type Document = Record<string, unknown>;
type Variables = Partial<Record<(typeof VARIABLES)[number], string>>;

const ROOT = '1-67891233-abcdef012345678912345678';
const LAMBDA_SEGMENT = '53995c3f42cd8ad8';
/** A trace of its own per test: datagrams of an earlier test may still arrive. */
const newRoot = () => `1-67891233-${randomBytes(12).toString('hex')}`;
const traceHeader = (root: string, sampled: boolean) =>
  `Root=${root};Parent=${LAMBDA_SEGMENT};Sampled=${sampled ? 1 : 0}`;

/** functions/core/tracing.ts freshly loaded under the given environment (its choice is made on load). */
async function loadTracing(environment: Variables) {
  vi.resetModules();
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, environment);
  return import('../../functions/core/tracing.ts');
}

/** A stand-in X-Ray daemon: the datagrams it receives, as the daemon would read them. */
class Daemon {
  readonly datagrams: string[] = [];
  readonly socket: Socket = createSocket('udp4').on('message', (message) =>
    this.datagrams.push(message.toString('utf8')),
  );
  address = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${(this.socket.address() as AddressInfo).port}`;
  }
  /** The segment documents of one trace received so far, each checked for the protocol's header. */
  documents(root: string): Document[] {
    return this.datagrams
      .map((datagram) => {
        expect(datagram.startsWith(DAEMON_HEADER)).toBe(true);
        return JSON.parse(datagram.slice(DAEMON_HEADER.length)) as Document;
      })
      .filter((document) => document.trace_id === root);
  }
  /**
   * The handler's subsegment in a trace and its children, once `children` have arrived. (The
   * recorders of earlier tests still listen to fetch and record the same calls, as children of
   * no handler of theirs: they are left out.)
   */
  async handlerTree(root: string, children: number): Promise<{ handler: Document; calls: Document[] }> {
    return vi.waitFor(
      () => {
        const documents = this.documents(root);
        const handler = documents.find((d) => d.name === '## index.handler');
        const calls = documents.filter((d) => d.parent_id === handler?.id);
        if (!handler || calls.length < children) throw new Error('not yet');
        return { handler, calls };
      },
      { timeout: 5_000 },
    );
  }
}

/** A provider's API and an AWS endpoint in one: `/status/<n>` answers n, anything else `{"TableNames":[]}`. */
function startUpstream(): Promise<Server> {
  const server = createServer((request, response) => {
    const status = Number(/^\/status\/(\d+)/.exec(request.url ?? '')?.[1] ?? 200);
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(status === 200 ? '{"TableNames":[]}' : '{"message":"no"}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const context = { functionName: 'fn', awsRequestId: 'r-1' } as Context;

describe('traced calls', () => {
  const daemon = new Daemon();
  let upstream: Server;
  let base: string;

  beforeAll(async () => {
    await daemon.start();
    upstream = await startUpstream();
    base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    daemon.socket.close();
    await new Promise((resolve) => upstream.close(resolve));
  });
  afterEach(() => {
    for (const name of VARIABLES) delete process.env[name];
    vi.resetModules();
  });

  const traced = (root: string, sampled = true) =>
    loadTracing({
      SHOP_TRACED_CALLS: 'true',
      AWS_XRAY_DAEMON_ADDRESS: daemon.address,
      _X_AMZN_TRACE_ID: traceHeader(root, sampled),
      _HANDLER: 'index.handler',
      POWERTOOLS_SERVICE_NAME: 'shop-create-payment',
    });

  it('send the handler, an HTTPS call and an AWS SDK call as well-formed subsegments to the daemon', async () => {
    const root = newRoot();
    const tracing = await traced(root);
    const dynamodb = tracing.traced(
      new DynamoDBClient({
        endpoint: base,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
    );
    const handler = middy()
      .use(tracing.tracingMiddlewares())
      .handler(async () => {
        await (await fetch(`${base}/v1/payment_intents?customer=c1`, { method: 'POST' })).text();
        await dynamodb.send(new ListTablesCommand({}));
        return { statusCode: 201 };
      });
    await handler({}, context);

    const { handler: outer, calls } = await daemon.handlerTree(root, 2);
    const byName = (name: string) => calls.find((d) => d.name === name) as Document;
    const fetchCall = byName('127.0.0.1');
    const awsCall = byName('DynamoDB');
    for (const document of [outer, fetchCall, awsCall]) {
      expect(document).toMatchObject({ trace_id: root, type: 'subsegment' });
      expect(document.id).toMatch(/^[0-9a-f]{16}$/);
      expect(document.end_time as number).toBeGreaterThanOrEqual(document.start_time as number);
      expect(Math.abs((document.start_time as number) - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(outer).toMatchObject({
      parent_id: LAMBDA_SEGMENT,
      annotations: { ColdStart: true, Service: 'shop-create-payment' },
      http: { response: { status: 201 } },
    });
    expect(fetchCall).toMatchObject({
      parent_id: outer.id,
      namespace: 'remote',
      http: { request: { method: 'POST', url: `${base}/v1/payment_intents` }, response: { status: 200 } },
    });
    expect(awsCall).toMatchObject({
      parent_id: outer.id,
      namespace: 'aws',
      aws: { operation: 'ListTables', retries: 0 },
      http: { response: { status: 200 } },
    });
    expect(new Set([outer, ...calls].map((d) => d.id)).size).toBe(3);
  });

  it('flag failed calls as X-Ray does: a 4xx an error, a 429 a throttle too, a 5xx a fault', async () => {
    const root = newRoot();
    const tracing = await traced(root);
    const handler = middy()
      .use(tracing.tracingMiddlewares())
      .handler(async () => {
        for (const status of [402, 429, 503]) await (await fetch(`${base}/status/${status}`)).text();
        throw new Error('the provider is down');
      });
    await expect(handler({}, context)).rejects.toThrow('the provider is down');

    const { handler: outer, calls } = await daemon.handlerTree(root, 3);
    const flags = (status: number) => {
      const call = calls.find(
        (d) => (d.http as { response?: { status?: number } } | undefined)?.response?.status === status,
      );
      return { error: call?.error, throttle: call?.throttle, fault: call?.fault };
    };
    expect(flags(402)).toEqual({ error: true, throttle: undefined, fault: undefined });
    expect(flags(429)).toEqual({ error: true, throttle: true, fault: undefined });
    expect(flags(503)).toEqual({ error: undefined, throttle: undefined, fault: true });
    expect(outer).toMatchObject({
      fault: true,
      cause: { exceptions: [{ type: 'Error', message: 'the provider is down' }] },
    });
  });

  it('send nothing for an invocation whose trace is not sampled', async () => {
    const root = newRoot();
    const tracing = await traced(root, false);
    const handler = middy()
      .use(tracing.tracingMiddlewares())
      .handler(async () => (await fetch(`${base}/v1/charges`)).text());
    await handler({}, context);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(daemon.documents(root)).toEqual([]);
  });

  it('record nothing where Lambda runs no daemon (no active tracing, or locally)', async () => {
    const tracing = await loadTracing({
      SHOP_TRACED_CALLS: 'true',
      _X_AMZN_TRACE_ID: traceHeader(newRoot(), true),
    });
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(tracing.traced(client).middlewareStack.identify()).not.toContainEqual(
      expect.stringContaining('shopXRayTracing'),
    );
    expect(tracing.tracingMiddlewares()).toEqual([]);
  });

  it('leave clients and the handler alone where the function does not trace its calls', async () => {
    const tracing = await loadTracing({
      SHOP_TRACED_CALLS: 'false',
      AWS_XRAY_DAEMON_ADDRESS: daemon.address,
      _X_AMZN_TRACE_ID: traceHeader(newRoot(), true),
    });
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(tracing.traced(client).middlewareStack.identify()).not.toContainEqual(
      expect.stringContaining('shopXRayTracing'),
    );
    expect(tracing.tracingMiddlewares()).toEqual([]);
  });
});

describe('the X-Ray headers', () => {
  it('read the trace header Lambda sets, sampled or not', () => {
    expect(parseTraceHeader(`Root=${ROOT};Parent=${LAMBDA_SEGMENT};Sampled=1;Lineage=a:1`)).toEqual({
      root: ROOT,
      parent: LAMBDA_SEGMENT,
      sampled: true,
    });
    expect(parseTraceHeader(`Root=${ROOT};Parent=${LAMBDA_SEGMENT};Sampled=0`)?.sampled).toBe(false);
    expect(parseTraceHeader(`Root=${ROOT}`)).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });

  it('read the daemon address in both of its forms', () => {
    expect(parseDaemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(parseDaemonAddress('tcp:127.0.0.1:2001 udp:127.0.0.2:2002')).toEqual({
      host: '127.0.0.2',
      port: 2002,
    });
    expect(parseDaemonAddress('localhost')).toBeUndefined();
    expect(parseDaemonAddress('')).toBeUndefined();
  });
});
