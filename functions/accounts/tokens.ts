import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { requireEnv } from '../core/config.ts';
import { secretString } from '../core/secrets.ts';
import type { Account } from './model.ts';
import { parseSigningKeySet, type SigningKeySet } from './signing-keys.ts';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/** The token issuer (`iss`): the API's own base URL. */
export const issuerUrl = (): string => requireEnv('AUTH_ISSUER').replace(/\/$/, '');

let signer: Promise<{ kid: string; key: KeyObject }> | undefined;

/** The key set from Secrets Manager (cached per instance by `secretString`). */
export async function signingKeySet(): Promise<SigningKeySet> {
  return parseSigningKeySet(await secretString(requireEnv('SIGNING_KEY_SECRET_ARN')));
}

async function currentSigner(): Promise<{ kid: string; key: KeyObject }> {
  signer ??= signingKeySet().then((set) => {
    const [current] = set.keys;
    if (!current) throw new Error('No signing key.');
    return { kid: current.kid, key: createPrivateKey({ key: current.privateJwk, format: 'jwk' }) };
  });
  signer.catch(() => {
    signer = undefined;
  });
  return signer;
}

/**
 * A short-lived RS256 access token for an account: `sub` is the user id, `scope` carries
 * `admin` for administrators. API Gateway's JWT authorizer verifies it against our JWKS.
 */
export async function issueAccessToken(account: Pick<Account, 'id' | 'role'>): Promise<string> {
  const { kid, key } = await currentSigner();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(account.role === 'admin' ? { scope: 'admin' } : {})
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(issuerUrl())
    .setAudience(requireEnv('AUTH_AUDIENCE'))
    .setSubject(account.id)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
    .sign(key);
}

/** The response body of register, login and refresh. */
export async function sessionResponse(account: Account, refreshToken: string) {
  return {
    user: account,
    accessToken: await issueAccessToken(account),
    refreshToken,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
  };
}
