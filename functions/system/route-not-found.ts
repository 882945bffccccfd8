import { matchPath } from '../../lib/api/paths.ts';
import { ROUTES } from '../../lib/api/routes.ts';
import { methodNotAllowed, notFound } from '../core/errors.ts';
import { http } from '../core/http.ts';

/**
 * The `$default` route: API Gateway sends here whatever no route matched. A known path
 * with another method is a 405 with `Allow`; anything else is a 404. Both as problem+json,
 * where API Gateway alone would answer a bare `{"message":"Not Found"}`.
 */
export const handler = http(async (event) => {
  const { method, path } = event.requestContext.http;
  const allowed = ROUTES.filter((route) => matchPath(route.path, path)).map((route) => route.method);
  // A method the path allows would have been routed; reaching here with it means the path
  // only looked alike (e.g. a trailing slash), so it is not found.
  if (allowed.length > 0 && !allowed.includes(method as (typeof allowed)[number]))
    throw methodNotAllowed(`${method} is not allowed on ${path}.`, allowed);
  throw notFound(`No route for ${method} ${path}.`);
});
