import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { declareEnv, requireEnv, secretArn } from '../core/config.ts';
import { secretString } from '../core/secrets.ts';
import { issuerUrl } from './issuer.ts';
import type { Account } from './model.ts';
import { parseSigningKeySet, type SigningKeySet } from './signing-keys.ts';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

declareEnv('AUTH_AUDIENCE');
declareEnv('SIGNING_KEY_SECRET_ARN', secretArn);

let parsed: { readonly raw: string; readonly set: SigningKeySet } | undefined;
let signer: { readonly kid: string; readonly key: KeyObject } | undefined;

/**
 * The key set from Secrets Manager. The secret is re-read every few minutes (`secretString`), so
 * a rotation reaches warm instances: the JWKS publishes a staged key, and signing moves to it.
 */
export async function signingKeySet(): Promise<SigningKeySet> {
  const raw = await secretString(requireEnv('SIGNING_KEY_SECRET_ARN'));
  if (parsed?.raw !== raw) parsed = { raw, set: parseSigningKeySet(raw) };
  return parsed.set;
}

/** The first key of the set, as a key object (re-created only when the signing key changed). */
async function currentSigner(): Promise<{ kid: string; key: KeyObject }> {
  const [current] = (await signingKeySet()).keys;
  if (!current) throw new Error('No signing key.');
  if (signer?.kid !== current.kid) {
    signer = { kid: current.kid, key: createPrivateKey({ key: current.privateJwk, format: 'jwk' }) };
  }
  return signer;
}

/**
 * A short-lived RS256 access token for an account: `sub` is the user id, `scope` carries
 * `admin` for administrators, `email_verified` (OpenID Connect's claim) whether the address
 * was proved. API Gateway's JWT authorizer verifies it against our JWKS.
 */
export async function issueAccessToken(
  account: Pick<Account, 'id' | 'role'> & Partial<Pick<Account, 'emailVerified'>>,
): Promise<string> {
  const { kid, key } = await currentSigner();
  const now = Math.floor(Date.now() / 1000);
  const claims = { email_verified: account.emailVerified === true };
  return new SignJWT(account.role === 'admin' ? { ...claims, scope: 'admin' } : claims)
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
