import type http from 'node:http';
import type { CorsConfig } from './definition.ts';

/** Adds the CORS headers of an allowed origin to an answer; false when the request has none or it is not allowed. */
export function applyCors(
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

/** A CORS preflight, which API Gateway answers itself when the API has a CORS configuration. */
export function isPreflight(cors: CorsConfig | undefined, req: http.IncomingMessage): cors is CorsConfig {
  return Boolean(
    req.method === 'OPTIONS' && cors && req.headers.origin && req.headers['access-control-request-method'],
  );
}

/** Answers a preflight: 204, with the allowed methods and headers when the origin is allowed. */
export function answerPreflight(cors: CorsConfig, req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers: http.OutgoingHttpHeaders = {};
  if (applyCors(cors, req, headers)) {
    headers['access-control-allow-methods'] = cors.allowMethods.join(',');
    headers['access-control-allow-headers'] = cors.allowHeaders.join(',');
    if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
  }
  res.writeHead(204, headers);
  res.end();
}
