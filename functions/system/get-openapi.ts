import { openApiDocument } from '../../lib/api/openapi.ts';
import { http, ok } from '../core/http.ts';

// Built once per instance from the route table that also builds the stack, so it cannot drift.
let document: Record<string, unknown> | undefined;

/** GET /openapi.json: the OpenAPI 3.1 document of every route. */
export const handler = http(async (event) => {
  document ??= openApiDocument(`https://${event.requestContext.domainName}`);
  return ok(document, { 'cache-control': 'public, max-age=300' });
});
