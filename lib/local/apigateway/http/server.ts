import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchPath, pathSpecificity } from '../../../api/paths.ts';
import { resourcesOfType, type TemplateResolver } from '../../cloudformation/template.ts';
import type { LocalFunction } from '../../lambda/function.ts';

/** One `AWS::ApiGatewayV2::Route` as the emulator serves it. */
export interface ApiRoute {
  readonly routeKey: string;
  /** Undefined for `$default`; `ANY` matches every method. */
  readonly method?: string;
  readonly path?: string;
  readonly functionLogicalId: string;
  readonly authorizationType: string;
  readonly authorizationScopes: readonly string[];
  /** Logical id of the route's `AWS::ApiGatewayV2::Authorizer`, if any. */
  readonly authorizerId?: string;
}

export interface CorsConfig {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge?: number;
}

export interface ApiDefinition {
  /** Logical id of the `AWS::ApiGatewayV2::Api`. */
  readonly apiId: string;
  readonly routes: readonly ApiRoute[];
  readonly cors?: CorsConfig;
}

/**
 * Reads the HTTP API from the template the way SAM does: each route's key, its integration's
 * target function (`Fn::GetAtt <fn>.Arn`), its authorization, and the API's CORS settings.
 */
export function readApiDefinition(resolver: TemplateResolver): ApiDefinition {
  const apis = resourcesOfType(resolver.assembly, 'AWS::ApiGatewayV2::Api').filter(
    ({ resource }) => resource.Properties?.ProtocolType === 'HTTP',
  );
  if (apis.length !== 1) throw new Error(`Expected one HTTP API in the app, found ${apis.length}.`);
  const apiId = apis[0]?.logicalId as string;
  const integrations = new Map(
    resourcesOfType(resolver.assembly, 'AWS::ApiGatewayV2::Integration').map((i) => [i.logicalId, i]),
  );
  const routes: ApiRoute[] = [];
  for (const { logicalId, resource } of resourcesOfType(resolver.assembly, 'AWS::ApiGatewayV2::Route')) {
    const props = resource.Properties ?? {};
    // Routes of the WebSocket API are the WebSocket server's (websocket.ts).
    if ((props.ApiId as { Ref?: string } | undefined)?.Ref !== apiId) continue;
    const routeKey = String(props.RouteKey);
    const target = props.Target as { 'Fn::Join': [string, [string, { Ref: string }]] } | undefined;
    const integrationId = target?.['Fn::Join']?.[1]?.[1]?.Ref;
    const integration = integrationId ? integrations.get(integrationId) : undefined;
    const uri = integration?.resource.Properties?.IntegrationUri as
      | { 'Fn::GetAtt'?: [string, string] }
      | undefined;
    const functionLogicalId = uri?.['Fn::GetAtt']?.[0];
    if (!functionLogicalId) throw new Error(`Route ${logicalId} (${routeKey}) has no Lambda integration.`);
    const [method, path] = routeKey === '$default' ? [undefined, undefined] : routeKey.split(' ');
    routes.push({
      routeKey,
      method,
      path,
      functionLogicalId,
      authorizationType: String(props.AuthorizationType ?? 'NONE'),
      authorizationScopes: (props.AuthorizationScopes as string[] | undefined) ?? [],
      authorizerId: (props.AuthorizerId as { Ref?: string } | undefined)?.Ref,
    });
  }
  const corsProps = apis[0]?.resource.Properties?.CorsConfiguration as
    | {
        AllowOrigins?: string[];
        AllowMethods?: string[];
        AllowHeaders?: string[];
        ExposeHeaders?: string[];
        MaxAge?: number;
      }
    | undefined;
  const cors = corsProps
    ? {
        allowOrigins: corsProps.AllowOrigins ?? [],
        allowMethods: corsProps.AllowMethods ?? [],
        allowHeaders: corsProps.AllowHeaders ?? [],
        exposeHeaders: corsProps.ExposeHeaders ?? [],
        maxAge: corsProps.MaxAge,
      }
    : undefined;
  return { apiId, routes, cors };
}

/** API Gateway's own answers, which never reach a function. */
const gatewayMessage = (
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
) => {
  // API Gateway names every answer of its own with a request id, as it does the functions' answers.
  res.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': randomUUID(), ...headers });
  res.end(JSON.stringify({ message }));
};

/** HTTP APIs pass text bodies as they are and base64-encode everything else. */
function isTextMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    ['application/json', 'application/xml', 'application/javascript'].includes(type) ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP API quota: "total combined size of request line and header values", 10240 bytes. */
const MAX_REQUEST_LINE_AND_HEADER_BYTES = 10_240;
/**
 * Node's own limit sits far above the quota so the emulator, not Node, refuses oversized
 * requests (Node would reset the connection or answer a bare 431 without a body).
 */
const NODE_MAX_HEADER_BYTES = 1024 * 1024;

/** What counts toward the quota: the request line and every header value, in bytes. */
function requestLineAndHeaderBytes(req: http.IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}`, 'latin1');
  for (let i = 1; i < req.rawHeaders.length; i += 2)
    bytes += Buffer.byteLength(req.rawHeaders[i] ?? '', 'latin1');
  return bytes;
}

/**
 * Chooses the route API Gateway would: exact method before ANY, literal segments before
 * parameters, then $default. The route list is sorted once; a request walks it until the
 * first match, so choosing costs a few string comparisons, not a sort per request.
 */
export function routeSelector(
  routes: readonly ApiRoute[],
): (method: string, path: string) => { route: ApiRoute; pathParameters: Record<string, string> } | undefined {
  const ordered = routes
    .filter((route) => route.path)
    .map((route) => ({ route, specificity: pathSpecificity(route.path as string) }))
    .sort((a, b) => {
      for (let i = 0; i < Math.max(a.specificity.length, b.specificity.length); i++) {
        const d = (b.specificity[i] ?? -1) - (a.specificity[i] ?? -1);
        if (d !== 0) return d;
      }
      return (a.route.method === 'ANY' ? 1 : 0) - (b.route.method === 'ANY' ? 1 : 0);
    })
    .map(({ route }) => route);
  const fallback = routes.find((route) => route.routeKey === '$default');
  return (method, path) => {
    for (const route of ordered) {
      if (route.method !== method && route.method !== 'ANY') continue;
      const pathParameters = matchPath(route.path as string, path);
      if (pathParameters) return { route, pathParameters };
    }
    return fallback ? { route: fallback, pathParameters: {} } : undefined;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let lastTime = { second: -1, text: '' };

/** `03/Dec/2026:06:30:00 +0000`, formatted once per second. */
function requestTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastTime.second) {
    const date = new Date(second * 1000);
    const pad = (n: number) => String(n).padStart(2, '0');
    lastTime = {
      second,
      text: `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`,
    };
  }
  return lastTime.text;
}

/** A request target split into the path and the query string (without `?`), as API Gateway sees them. */
function splitTarget(target: string): { path: string; query: string } {
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: '' } : { path: target.slice(0, at), query: target.slice(at + 1) };
}

/** Builds the payload format 2.0 event API Gateway would send for this request. */
export function buildEvent(
  req: http.IncomingMessage,
  body: Buffer,
  route: ApiRoute,
  pathParameters: Record<string, string>,
  authorizer?: unknown,
  requestId: string = randomUUID(),
): Record<string, unknown> {
  const { path, query: rawQuery } = splitTarget(req.url ?? '/');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values) continue;
    if (name === 'cookie') {
      for (const value of values)
        cookies.push(
          ...value
            .split(';')
            .map((c) => c.trim())
            .filter(Boolean),
        );
      continue;
    }
    headers[name] = values.join(',');
  }
  // API Gateway tells functions how the client reached it (deployed: https on 443).
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  const query: Record<string, string> = {};
  if (rawQuery) {
    const searchParams = new URLSearchParams(rawQuery);
    for (const key of new Set(searchParams.keys())) query[key] = searchParams.getAll(key).join(',');
  }
  const now = Date.now();
  const text = isTextMediaType(headers['content-type']);
  const host = headers.host ?? 'localhost';
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: rawQuery,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
      ...(authorizer ? { authorizer } : {}),
    },
    isBase64Encoded: body.length > 0 ? !text : false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (body.length > 0) event.body = text ? body.toString('utf8') : body.toString('base64');
  return event;
}

interface LambdaHttpResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** Interprets a function's result as payload 2.0 does, including the "no statusCode" shorthand. */
export function toHttpResponse(result: unknown): {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
} {
  const isStructured = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!isStructured) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const r = result as LambdaHttpResult;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const body =
    r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  return { status: Number(r.statusCode), headers, body };
}

export interface ApiServerOptions {
  readonly api: ApiDefinition;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly port?: number;
  readonly host?: string;
  /** Validates a JWT route's token; returns the `authorizer` context or a 401/403 reason. */
  readonly authorize?: (
    route: ApiRoute,
    headers: http.IncomingHttpHeaders,
  ) => Promise<{ ok: true; context: unknown } | { ok: false; status: 401 | 403 }>;
  readonly log?: (line: string) => void;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function applyCors(
  cors: CorsConfig | undefined,
  req: http.IncomingMessage,
  headers: http.OutgoingHttpHeaders,
): boolean {
  const origin = req.headers.origin;
  if (!cors || !origin) return false;
  const allowed = cors.allowOrigins.includes('*') || cors.allowOrigins.includes(origin);
  if (!allowed) return false;
  headers['access-control-allow-origin'] = cors.allowOrigins.includes('*') ? '*' : origin;
  if (cors.exposeHeaders.length) headers['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  headers.vary = 'origin';
  return true;
}

/**
 * How long an HTTP API waits for a Lambda integration (`TimeoutInMillis`: 30 s, the default and
 * the maximum; the stacks set none). Past it API Gateway answers 503 `Service Unavailable`.
 */
const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * Serves the HTTP API locally: routes from the template, each request turned into a payload
 * 2.0 event for the route's function, results turned back into HTTP as API Gateway does.
 * A function that crashed, threw or ran past its own timeout becomes API Gateway's bare 500
 * (for an HTTP API all are Lambda function errors), one that outlasted the integration timeout
 * its bare 503, and a throttled invocation (the function's concurrency used up) its bare 429.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { api, functions } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const selectRoute = routeSelector(api.routes);
  const server = http.createServer({ maxHeaderSize: NODE_MAX_HEADER_BYTES }, async (req, res) => {
    const started = performance.now();
    // API Gateway's request id: in the event, and on every answer (`apigw-requestid`), its own too.
    const requestId = randomUUID();
    res.setHeader('apigw-requestid', requestId);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk as Buffer);
    }
    const method = req.method ?? 'GET';
    const { path } = splitTarget(req.url ?? '/');
    const headers: http.OutgoingHttpHeaders = {};
    // The path without the query string, as the deployed access log has it ($context.path): a
    // query can carry what must never be logged (a token pasted into a URL).
    const finish = (status: number, note = '') =>
      log(
        `${method} ${path} -> ${status} ${(performance.now() - started).toFixed(1)} ms${note ? ` ${note}` : ''} (${requestId})`,
      );

    if (tooLarge) {
      gatewayMessage(res, 413, 'Request Entity Too Large');
      return finish(413);
    }
    // AWS documents the quota, not the answer; 431 is HTTP's status for it (RFC 6585).
    if (requestLineAndHeaderBytes(req) > MAX_REQUEST_LINE_AND_HEADER_BYTES) {
      gatewayMessage(res, 431, 'Request Header Fields Too Large');
      return finish(431);
    }
    // CORS preflight is answered by API Gateway itself when the API has a CORS configuration.
    if (
      method === 'OPTIONS' &&
      api.cors &&
      req.headers.origin &&
      req.headers['access-control-request-method']
    ) {
      if (applyCors(api.cors, req, headers)) {
        headers['access-control-allow-methods'] = api.cors.allowMethods.join(',');
        headers['access-control-allow-headers'] = api.cors.allowHeaders.join(',');
        if (api.cors.maxAge !== undefined) headers['access-control-max-age'] = String(api.cors.maxAge);
      }
      res.writeHead(204, headers);
      res.end();
      return finish(204, '(preflight)');
    }
    const selected = selectRoute(method, path);
    if (!selected) {
      gatewayMessage(res, 404, 'Not Found');
      return finish(404);
    }
    const { route, pathParameters } = selected;
    let authorizer: unknown;
    if (route.authorizationType !== 'NONE') {
      const verdict = options.authorize
        ? await options.authorize(route, req.headers)
        : ({ ok: false, status: 401 } as const);
      if (!verdict.ok) {
        gatewayMessage(res, verdict.status, verdict.status === 401 ? 'Unauthorized' : 'Forbidden', {
          ...(verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
        });
        return finish(verdict.status, '(authorizer)');
      }
      authorizer = verdict.context;
    }
    const fn = functions.get(route.functionLogicalId);
    if (!fn) {
      gatewayMessage(res, 500, 'Internal Server Error');
      return finish(500, `(no function ${route.functionLogicalId})`);
    }
    const event = buildEvent(req, Buffer.concat(chunks), route, pathParameters, authorizer, requestId);
    const outcome = await fn.invoke(event);
    const note = `${fn.spec.logicalId}${outcome.coldStart ? ` cold${outcome.initMs ? ` init ${outcome.initMs.toFixed(0)} ms` : ''}` : ''}`;
    if (!outcome.ok && outcome.throttled) {
      // Lambda refused the invocation (no concurrency left): the function never ran.
      gatewayMessage(res, 429, 'Too Many Requests');
      return finish(429, `${fn.spec.logicalId} throttled`);
    }
    if (!outcome.ok) {
      log(`  ${fn.spec.logicalId} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      // A function that timed out is a Lambda function error like any other (500), unless its
      // timeout is not below the integration's: then API Gateway gave up first, with a 503.
      const gatewayTimedOut =
        outcome.error.errorType === 'Sandbox.Timedout' &&
        fn.spec.timeoutSeconds * 1000 >= INTEGRATION_TIMEOUT_MS;
      gatewayMessage(
        res,
        gatewayTimedOut ? 503 : 500,
        gatewayTimedOut ? 'Service Unavailable' : 'Internal Server Error',
      );
      return finish(gatewayTimedOut ? 503 : 500, note);
    }
    let response: ReturnType<typeof toHttpResponse>;
    try {
      response = toHttpResponse(outcome.result);
      if (!Number.isInteger(response.status) || response.status < 100 || response.status > 599)
        throw new Error('bad status');
    } catch {
      gatewayMessage(res, 500, 'Internal Server Error');
      return finish(500, `${note} (malformed Lambda response)`);
    }
    applyCors(api.cors, req, response.headers);
    res.writeHead(response.status, response.headers);
    res.end(response.body);
    finish(response.status, note);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
