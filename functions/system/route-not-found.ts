import { declareEnv, requireEnv } from '../core/config.ts';
import { methodNotAllowed, notFound } from '../core/errors.ts';
import { http } from '../core/http.ts';
import { matchPath } from '../core/paths.ts';

// The route keys arrive in the environment (written from the route table at synthesis), so
// this function does not bundle the route table's schemas just to tell 404 from 405.
declareEnv('ROUTE_KEYS');
let routes: { method: string; path: string }[] | undefined;
function knownRoutes(): { method: string; path: string }[] {
  routes ??= requireEnv('ROUTE_KEYS')
    .split(',')
    .map((key) => {
      const [method = '', path = ''] = key.split(' ');
      return { method, path };
    });
  return routes;
}

/**
 * The `$default` route: API Gateway sends here whatever no route matched. A known path
 * with another method is a 405 with `Allow`; anything else is a 404. Both as problem+json,
 * where API Gateway alone would answer a bare `{"message":"Not Found"}`.
 */
export const handler = http(
  async (event) => {
    const { method, path } = event.requestContext.http;
    const allowed = knownRoutes()
      .filter((route) => matchPath(route.path, path))
      .map((route) => route.method);
    // A method the path allows would have been routed; reaching here with it means the path
    // only looked alike (e.g. a trailing slash), so it is not found.
    if (allowed.length > 0 && !allowed.includes(method)) {
      throw methodNotAllowed(`${method} is not allowed on ${path}.`, allowed);
    }
    throw notFound(`No route for ${method} ${path}.`);
  },
  // Whatever the body, there is no route for it.
  { ignoreBody: true },
);
