import { openApiDocument } from '../../lib/api/openapi.ts';
import { type HttpEvent, http, ok } from '../core/http.ts';

// Built once per instance from the route table that also builds the stack, so it cannot drift.
let document: Record<string, unknown> | undefined;

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
  document ??= openApiDocument();
  return ok(
    { ...document, servers: [{ url: serverUrl(event) }] },
    { 'cache-control': 'public, max-age=300' },
  );
});
