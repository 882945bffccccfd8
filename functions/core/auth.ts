import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './errors.ts';

/** Who is calling, as API Gateway's JWT authorizer verified it. */
export interface Caller {
  readonly userId: string;
  readonly scopes: readonly string[];
  readonly isAdmin: boolean;
  /** The token's `email_verified` claim (tokens from before the claim existed: false). */
  readonly emailVerified: boolean;
}

type JwtClaims = Record<string, string | number | boolean | string[] | undefined>;

export const unauthorized = (detail = 'Sign in to use this route.'): HttpError =>
  new HttpError(401, 'unauthorized', 'Unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });

export const forbidden = (detail: string): HttpError => new HttpError(403, 'forbidden', 'Forbidden', detail);

/**
 * The caller from the authorizer's verified claims. Handlers never read identity from the
 * body. The authorizer already rejected bad tokens; this is defence in depth for a route
 * wired without one.
 */
export function caller(event: APIGatewayProxyEventV2): Caller {
  const context = event.requestContext as APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims?: JwtClaims; scopes?: string[] | null } };
  };
  const claims = context.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') throw unauthorized();
  const scopeClaim = claims?.scope ?? claims?.scp;
  const scopes = Array.isArray(scopeClaim)
    ? scopeClaim.map(String)
    : typeof scopeClaim === 'string'
      ? scopeClaim.split(' ').filter(Boolean)
      : [];
  // API Gateway passes JWT claims as strings; a local test event may carry the boolean.
  const verified = claims?.email_verified;
  return {
    userId: sub,
    scopes,
    isAdmin: scopes.includes('admin'),
    emailVerified: verified === true || verified === 'true',
  };
}

/** The caller, who must hold the `admin` scope. */
export function adminCaller(event: APIGatewayProxyEventV2): Caller {
  const who = caller(event);
  if (!who.isAdmin) throw forbidden('This route is for administrators.');
  return who;
}
