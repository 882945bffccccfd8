/*
 * API Gateway's matching of request paths against route paths. The `$default` function uses it
 * to tell 404 from 405, the local API Gateway emulator (lib/local/apigateway) to route, and the
 * contract check to find a response's operation: it lives in functions/core because functions
 * never import lib/, and the emulator may import functions/core (never a domain).
 */

/**
 * Matches a request path against an API Gateway route path (`/products/{productId}`,
 * `/files/{key+}`). Returns the decoded path parameters, or undefined when it does not match.
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  // Segments are compared exactly: `/health/` and `//health` are other paths than `/health`,
  // as they are to API Gateway, so they fall through to `$default`.
  const templateParts = template.split('/').slice(1);
  const pathParts = path.split('/').slice(1);
  const params: Record<string, string> = {};
  for (let i = 0; i < templateParts.length; i++) {
    const part = templateParts[i] as string;
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy?.[1]) {
      if (i !== templateParts.length - 1 || pathParts.length <= i) return undefined;
      params[greedy[1]] = decode(pathParts.slice(i).join('/'));
      return params;
    }
    const value = pathParts[i];
    if (value === undefined || (value === '' && part !== '')) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param?.[1]) params[param[1]] = decode(value);
    else if (part !== value) return undefined;
  }
  return pathParts.length === templateParts.length ? params : undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** How specific a route path is: literal segments beat parameters, which beat greedy ones (API Gateway's order). */
export function pathSpecificity(template: string): number[] {
  return template
    .split('/')
    .filter(Boolean)
    .map((part) => (part.endsWith('+}') ? 0 : part.startsWith('{') ? 1 : 2));
}
