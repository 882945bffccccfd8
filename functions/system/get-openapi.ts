import { readFileSync } from 'node:fs';
import path from 'node:path';
import { declareEnv, requireEnv } from '../core/config.ts';
import { type HttpEvent, http, ok } from '../core/http.ts';

// The document is written from the route table at synthesis (lib/api/openapi.ts) and copied next
// to this bundle; OPENAPI_DOCUMENT names the file (relative to the bundle, or absolute). So the
// function bundles neither the route table nor its schemas, and cannot drift from the stack.
declareEnv('OPENAPI_DOCUMENT');
let document: Record<string, unknown> | undefined;

function loadDocument(): Record<string, unknown> {
  document ??= JSON.parse(
    readFileSync(path.resolve(import.meta.dirname, requireEnv('OPENAPI_DOCUMENT')), 'utf8'),
  ) as Record<string, unknown>;
  return document;
}

/**
 * The API as this request reached it: scheme (API Gateway says `https` in `x-forwarded-proto`),
 * host, and the stage path unless it is the `$default` stage.
 */
function serverUrl(event: HttpEvent): string {
  const { domainName, stage } = event.requestContext;
  const scheme = event.headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
  return `${scheme}://${domainName}${stage && stage !== '$default' ? `/${stage}` : ''}`;
}

/** GET /openapi.json: the OpenAPI 3.1 document of every route, its server being the API that answered. */
export const handler = http(async (event) => {
  return ok(
    { ...loadDocument(), servers: [{ url: serverUrl(event) }] },
    { 'cache-control': 'public, max-age=300' },
  );
});
