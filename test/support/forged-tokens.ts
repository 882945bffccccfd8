import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { parseSigningKeySet } from '../../functions/accounts/signing-keys.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import type { LocalFunction } from '../../lib/local/lambda/function.ts';
import { backendSecret, functionVariable } from './local-api.ts';

/** The local function of a function id (the route table's `id`), e.g. `AccountsGetAccount`. */
export function functionOf(backend: ShopBackend, id: string): LocalFunction {
  const prefix = `${id}Function`;
  const matches = [...backend.functions.entries()].filter(([logicalId]) => logicalId.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`Expected one function for ${id}, found ${matches.length}.`);
  return (matches[0] as [string, LocalFunction])[1];
}

/** What the backend's authorizer expects: the issuer and audience the functions sign with. */
export function tokenSettings(backend: ShopBackend): { issuer: string; audience: string } {
  return {
    issuer: functionVariable(backend, 'AUTH_ISSUER'),
    audience: functionVariable(backend, 'AUTH_AUDIENCE'),
  };
}

/** The backend's real signing key, read from its local Secrets Manager as the functions read it. */
export async function realSigningKey(
  backend: ShopBackend,
): Promise<{ kid: string; privateKey: KeyObject; publicKey: KeyObject }> {
  const [current] = parseSigningKeySet(await backendSecret(backend, 'SIGNING_KEY_SECRET_ARN')).keys;
  if (!current) throw new Error('The signing-key secret holds no key.');
  const privateKey = createPrivateKey({ key: current.privateJwk, format: 'jwk' });
  return { kid: current.kid, privateKey, publicKey: createPublicKey(privateKey) };
}

const nowEpoch = () => Math.floor(Date.now() / 1000);

/** The claims a genuine access token carries (sub, iss, aud, iat, nbf, exp in 15 minutes). */
export function genuineClaims(
  settings: { issuer: string; audience: string },
  sub: string,
  extra: JWTPayload = {},
): JWTPayload {
  const now = nowEpoch();
  return { sub, iss: settings.issuer, aud: settings.audience, iat: now, nbf: now, exp: now + 900, ...extra };
}

/** Signs claims as given (no defaults added) with an RSA key under the given header. */
export function signRs256(
  claims: JWTPayload,
  key: KeyObject,
  header: { kid?: string; alg?: 'RS256' | 'RS384' | 'RS512' } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({
      alg: header.alg ?? 'RS256',
      typ: 'JWT',
      ...(header.kid ? { kid: header.kid } : {}),
    })
    .sign(key);
}

/** An unsigned token (`alg: none`), optionally claiming a kid. */
export function unsignedToken(claims: JWTPayload): string {
  return new UnsecuredJWT(claims).encode();
}

/** The classic key-confusion forgery: HS256 with the RSA public key (as published) as the HMAC secret. */
export function hs256WithPublicKey(
  claims: JWTPayload,
  publicKeyMaterial: string,
  kid: string,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
    .sign(new TextEncoder().encode(publicKeyMaterial));
}

/** A token's payload replaced, header and signature kept (a tampered token). */
export function withPayload(token: string, claims: JWTPayload): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** The decoded payload of a compact JWT (no verification). */
export function payloadOf(token: string): JWTPayload {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as JWTPayload;
}
