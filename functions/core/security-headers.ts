import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** One year, the least HSTS preload lists and scanners accept. */
const HSTS = 'max-age=31536000; includeSubDomains';

const REPLACED = new Set(['strict-transport-security', 'x-content-type-options']);

/** Methods whose successful public answers may keep the caching their handler chose. */
const CACHEABLE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Whether an answer may hold something personal, so no cache (browser, proxy, CDN) may keep
 * it: everything a JWT route answers (API Gateway's authorizer ran, so the event carries its
 * context), every answer to a method that changes or creates something (register, login and
 * refresh answer with tokens), and every error. Only successful public reads (catalog, profiles,
 * keys, docs) keep the `cache-control` their handler set.
 */
export function isPersonal(event: APIGatewayProxyEventV2, statusCode: number): boolean {
  const context = event.requestContext as { authorizer?: unknown } | undefined;
  if (context?.authorizer) return true;
  if (!CACHEABLE_METHODS.has(event.requestContext?.http?.method ?? '')) return true;
  return statusCode >= 400;
}

/**
 * Sets the security headers of an answer in place: HSTS and `nosniff` always, and
 * `cache-control: no-store` (replacing what the handler chose) when the answer is personal.
 * Only answers a function produces can carry them: API Gateway's own answers (authorizer 401/403,
 * 413, 429, its bare 500/503) cannot be given headers on an HTTP API (README, Auth model).
 */
export function addSecurityHeaders(
  event: APIGatewayProxyEventV2,
  response: APIGatewayProxyStructuredResultV2,
): void {
  // A handler may spell a header in any case; ours replace theirs whatever the spelling.
  const own = Object.entries(response.headers ?? {}).filter(([name]) => !REPLACED.has(name.toLowerCase()));
  const personal = isPersonal(event, response.statusCode ?? 200);
  const kept = personal ? own.filter(([name]) => name.toLowerCase() !== 'cache-control') : own;
  const headers: Record<string, string | number | boolean> = {
    ...Object.fromEntries(kept),
    'strict-transport-security': HSTS,
    'x-content-type-options': 'nosniff',
  };
  if (personal) headers['cache-control'] = 'no-store';
  response.headers = headers;
}

/**
 * The middleware of `http()` that adds the security headers to every answer, problems
 * included: its `after` and `onError` run after the problem handler has built the answer.
 */
export const securityHeaders: middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> =
  {
    after: ({ event, response }) => {
      if (response) addSecurityHeaders(event, response);
    },
    onError: ({ event, response }) => {
      if (response) addSecurityHeaders(event, response);
    },
  };
