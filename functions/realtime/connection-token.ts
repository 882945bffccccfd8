import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { SUBPROTOCOL } from './model.ts';

/** Who opened a connection, from a verified access token. */
export interface ConnectionIdentity {
  readonly userId: string;
  readonly scopes: readonly string[];
}

/**
 * The access token a client offers in `Sec-WebSocket-Protocol: shop.v1, <token>`. Browsers
 * cannot set `Authorization` on a WebSocket; a subprotocol, unlike a `?token=` query
 * parameter, stays out of URLs, and therefore out of proxy logs, browser history and
 * API Gateway's access logs (which we configure without request headers).
 */
export function tokenFromProtocols(header: string | undefined): string | undefined {
  const offered = (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!offered.includes(SUBPROTOCOL)) return undefined;
  const others = offered.filter((p) => p !== SUBPROTOCOL);
  return others.length === 1 ? others[0] : undefined;
}

/**
 * Verifies an access token exactly as the HTTP API's JWT authorizer does: RS256 against the
 * issuer's published JWKS (fetched over HTTPS and cached by jose, so the authorizer never
 * reads the private keys), `iss`, `aud`, `exp`, `nbf`, and an `iat` not in the future.
 */
export function connectionTokenVerifier(options: {
  issuer: string;
  audience: string;
}): (token: string) => Promise<ConnectionIdentity> {
  const issuer = options.issuer.replace(/\/$/, '');
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  return async (token) => {
    const { payload } = await jwtVerify(token, jwks, {
      issuer,
      audience: options.audience,
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'sub'],
    });
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 5) {
      throw new Error('Token issued in the future.');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('Token without subject.');
    return { userId: payload.sub, scopes: scopesOf(payload) };
  };
}

function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (Array.isArray(raw)) return raw.map(String);
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}
