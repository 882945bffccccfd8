import http from 'node:http';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../account.ts';
import type { ConnectionIdentity } from './connections.ts';
import type { WebSocketIntegration } from './integration.ts';

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

/** How to answer a handshake: accept it (with the authorizer's context and `$connect`'s subprotocol), or refuse it. */
export type Admission =
  | { ok: true; authorizer?: Record<string, unknown>; protocol?: string }
  | { ok: false; status: number; message: string };

type Request = ReturnType<typeof headersOf> & { url: URL; query: ReturnType<typeof queryOf> };

/** The `$connect` route's REQUEST authorizer: its verdict, and the context it hands to the routes. */
async function authorize(
  integration: WebSocketIntegration,
  authorizerId: string | undefined,
  request: Request,
  connection: ConnectionIdentity,
): Promise<{ ok: true; authorizer: Record<string, unknown> } | Extract<Admission, { ok: false }>> {
  const { api, log } = integration;
  const definition = authorizerId ? api.authorizers.get(authorizerId) : undefined;
  if (!definition) return { ok: false, status: 500, message: 'Internal server error' };
  const { headers, multiValueHeaders, url, query } = request;
  // A missing identity source is refused before the authorizer runs.
  if (!hasIdentity(definition.identitySource, headers, url)) {
    return { ok: false, status: 401, message: 'Unauthorized' };
  }
  const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${api.apiId}/${api.stageName}/$connect`;
  const outcome = await integration.invoke(definition.functionLogicalId, {
    type: 'REQUEST',
    methodArn,
    headers,
    multiValueHeaders,
    ...query,
    stageVariables: {},
    requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...integration.requestContext(connection) },
  });
  if (!outcome.ok) {
    const unauthorized = outcome.error.errorMessage === 'Unauthorized';
    if (!unauthorized)
      log(`  $connect authorizer failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    return unauthorized
      ? { ok: false, status: 401, message: 'Unauthorized' }
      : { ok: false, status: 500, message: 'Internal server error' };
  }
  const allowed = policyAllows(outcome.result, methodArn);
  const authorizer = authorizerContext(outcome.result);
  if (allowed === undefined || !authorizer)
    return { ok: false, status: 500, message: 'Internal server error' };
  if (!allowed) return { ok: false, status: 403, message: 'Forbidden' };
  return { ok: true, authorizer };
}

/** Runs the authorizer and `$connect`; resolves with how to answer the handshake. */
export async function admit(
  integration: WebSocketIntegration,
  req: http.IncomingMessage,
  connection: ConnectionIdentity,
): Promise<Admission> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const request: Request = { ...headersOf(req), url, query: queryOf(url) };
  const route = integration.api.routes.get('$connect');
  let authorizer: Record<string, unknown> | undefined;
  if (route && route.authorizationType === 'CUSTOM') {
    const verdict = await authorize(integration, route.authorizerId, request, connection);
    if (!verdict.ok) return verdict;
    authorizer = verdict.authorizer;
  }
  if (!route) return { ok: true, authorizer };
  const outcome = await integration.invoke(route.functionLogicalId, {
    headers: request.headers,
    multiValueHeaders: request.multiValueHeaders,
    ...request.query,
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      ...integration.requestContext(connection),
      ...(authorizer ? { authorizer } : {}),
    },
    isBase64Encoded: false,
  });
  if (!outcome.ok) {
    integration.log(`  $connect failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
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
}
