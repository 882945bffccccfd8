import { matchPath, pathSpecificity } from '../../../../functions/core/paths.ts';
import type { ApiRoute } from './definition.ts';

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
