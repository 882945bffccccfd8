import { DEFAULT_ROUTE, ROUTES, type RouteDefinition, routeKey } from './routes.ts';

/**
 * Route groups: the routes of one tag of the route table (`auth`, `catalog`, `orders`...),
 * plus `$default` with the `system` routes. Alarms on 5xx rate and p99 latency, and the
 * dashboard's per-group graphs, are per group: fine enough to say where it hurts, coarse enough
 * that a handful of metrics cover a route table that keeps growing. Of every route, or of
 * those an environment deploys (`deployedRoutes`).
 */
export function routeGroups(
  routes: readonly RouteDefinition[] = ROUTES,
): ReadonlyMap<string, readonly string[]> {
  const groups = new Map<string, string[]>();
  const add = (group: string, key: string) => groups.set(group, [...(groups.get(group) ?? []), key]);
  for (const route of routes) add(route.tag, routeKey(route));
  add('system', DEFAULT_ROUTE.routeKey);
  return groups;
}
