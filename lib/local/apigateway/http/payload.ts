import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApiRoute } from './definition.ts';

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
export function splitTarget(target: string): { path: string; query: string } {
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
