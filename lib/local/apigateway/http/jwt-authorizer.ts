import type http from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { resourcesOfType, type TemplateResolver } from '../../cloudformation/template.ts';
import type { ApiRoute } from './definition.ts';

/** An `AWS::ApiGatewayV2::Authorizer` of type JWT, with intrinsics already resolved. */
export interface JwtAuthorizerConfig {
  readonly issuer: string;
  readonly audience: readonly string[];
}

export type AuthorizerVerdict = { ok: true; context: unknown } | { ok: false; status: 401 | 403 };

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
/** How long a fetched JWKS is used before it is fetched again. */
const JWKS_CACHE_MS = 60_000;
/** How long fetching the JWKS may take before verification gives up (401). */
const JWKS_FETCH_TIMEOUT_MS = 30_000;
/** Verified tokens remembered (the oldest are forgotten first). */
const VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  readonly scopes: string[];
  /** What the function receives in `requestContext.authorizer`. */
  readonly context: unknown;
  /** Until its `exp`, and at most as long as the JWKS it was verified against is kept. */
  readonly validUntilMs: number;
}

/** API Gateway hands claims to the function as strings (arrays as `[a b]`). */
function stringifyClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    claims[name] = Array.isArray(value)
      ? `[${value.join(' ')}]`
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  }
  return claims;
}

function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

/**
 * Enforces a JWT authorizer as API Gateway does: the token from `Authorization`, RSA
 * signatures only, a `kid` present in the issuer's JWKS (found through its OpenID discovery
 * document), `iss`, `aud`, `exp`, `nbf` and `iat`, then the route's scopes. Bad tokens are
 * 401, missing scopes 403; the function never runs for either.
 */
export function jwtAuthorizer(
  config: JwtAuthorizerConfig,
): (route: ApiRoute, headers: http.IncomingHttpHeaders) => Promise<AuthorizerVerdict> {
  // One discovery at a time: a burst of first requests must not each fetch it (and start an
  // execution environment of the discovery function apiece). A failed discovery is retried.
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    jwks ??= (async () => {
      const discovery = await fetch(`${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      if (!discovery.ok) throw new Error(`OpenID discovery answered ${discovery.status}`);
      const { jwks_uri: jwksUri } = (await discovery.json()) as { jwks_uri?: string };
      if (!jwksUri) throw new Error('OpenID discovery has no jwks_uri');
      return createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: 0,
        cacheMaxAge: JWKS_CACHE_MS,
        // The JWKS is served by a local function that may be cold and queued behind a burst of
        // other cold starts: jose's 5 s default would turn valid tokens into 401s meanwhile.
        timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
      });
    })();
    jwks.catch(() => {
      jwks = undefined;
    });
    return jwks;
  };

  // A signature check costs more than the rest of the emulator's work on a request, and its
  // answer cannot change while the token is unexpired and the key set unchanged: verified
  // tokens are remembered until their `exp`, at most as long as the JWKS they were checked
  // against is kept (API Gateway, too, caches the issuer's keys rather than refetching them).
  // Claims that depend on the clock (`nbf`, `iat`) only move from invalid to valid, and invalid
  // tokens are never remembered; scopes are checked per route on every request.
  const verified = new Map<string, VerifiedToken>();
  const verify = async (token: string): Promise<VerifiedToken | undefined> => {
    const known = verified.get(token);
    if (known && Date.now() < known.validUntilMs) return known;
    if (known) verified.delete(token);
    const { alg, kid } = decodeProtectedHeader(token);
    // API Gateway needs a kid that names a key of the JWKS; it never guesses a key.
    if (!alg || !RSA_ALGORITHMS.includes(alg) || typeof kid !== 'string' || kid === '') return undefined;
    const { payload } = await jwtVerify(token, await keySet(), {
      issuer: config.issuer,
      audience: [...config.audience],
      algorithms: RSA_ALGORITHMS,
      requiredClaims: ['exp'],
    });
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 5) return undefined;
    const scopes = tokenScopes(payload);
    const entry = {
      scopes,
      context: { jwt: { claims: stringifyClaims(payload), scopes: scopes.length ? scopes : null } },
      validUntilMs: Math.min((payload.exp as number) * 1000, Date.now() + JWKS_CACHE_MS),
    };
    verified.set(token, entry);
    if (verified.size > VERIFIED_TOKENS) verified.delete(verified.keys().next().value as string);
    return entry;
  };

  return async (route, headers) => {
    const header = headers.authorization;
    if (typeof header !== 'string' || header.trim() === '') return { ok: false, status: 401 };
    const token = header.replace(/^Bearer\s+/i, '').trim();
    let checked: VerifiedToken | undefined;
    try {
      checked = await verify(token);
    } catch {
      // A malformed, forged, expired or foreign token, or a JWKS that could not be fetched:
      // API Gateway refuses all of them alike rather than letting the request through.
      return { ok: false, status: 401 };
    }
    if (!checked) return { ok: false, status: 401 };
    const { scopes, context } = checked;
    if (route.authorizationScopes.length > 0 && !route.authorizationScopes.some((s) => scopes.includes(s))) {
      return { ok: false, status: 403 };
    }
    return { ok: true, context };
  };
}

/**
 * The JWT authorizers of an HTTP API, from its `AWS::ApiGatewayV2::Authorizer`s, as one check
 * for the server: a protected route whose authorizer is unknown is refused, never served open.
 * The template's other authorizer types fail here: the local runtime only emulates JWT ones.
 */
export function templateAuthorizers(
  resolver: TemplateResolver,
  apiId: string,
): (route: ApiRoute, headers: http.IncomingHttpHeaders) => Promise<AuthorizerVerdict> {
  const authorizers = new Map(
    resourcesOfType(resolver.assembly, 'AWS::ApiGatewayV2::Authorizer')
      // The WebSocket API's REQUEST authorizer is the WebSocket server's (../websocket/connect.ts).
      .filter(({ resource }) => (resource.Properties?.ApiId as { Ref?: string } | undefined)?.Ref === apiId)
      .map(({ stackName, logicalId, resource }) => {
        const jwt = resolver.resolve(resource.Properties?.JwtConfiguration ?? {}, stackName) as {
          Issuer?: string;
          Audience?: string[];
        };
        if (resource.Properties?.AuthorizerType !== 'JWT' || !jwt.Issuer) {
          throw new Error(
            `Authorizer ${logicalId} is not a JWT authorizer; the local runtime only emulates those.`,
          );
        }
        return [logicalId, jwtAuthorizer({ issuer: jwt.Issuer, audience: jwt.Audience ?? [] })];
      }),
  );
  return async (route, headers) => {
    const authorize = route.authorizerId ? authorizers.get(route.authorizerId) : undefined;
    return authorize ? authorize(route, headers) : { ok: false, status: 401 };
  };
}
