import { generateKeyPairSync } from 'node:crypto';
import { expect, vi } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { type ApiResponse, expectGatewayRefusal, type Session } from './accounts-api.ts';
import {
  functionOf,
  genuineClaims,
  payloadOf,
  realSigningKey,
  signRs256,
  tokenSettings,
  unsignedToken,
  withPayload,
} from './forged-tokens.ts';

const nowEpoch = () => Math.floor(Date.now() / 1000);

/**
 * `Authorization` header values the gateway must refuse (401), each naming `victim` (with the
 * admin scope where a forger would add it): malformed, foreign-signed, unsigned, expired, for
 * another audience, tampered, in the wrong scheme. `forger` is a real user whose genuine token
 * is tampered with.
 */
export async function badAuthorizations(
  backend: ShopBackend,
  victim: Session,
  forger: Session,
): Promise<Record<string, string>> {
  const settings = tokenSettings(backend);
  const real = await realSigningKey(backend);
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const claims = (extra = {}) => genuineClaims(settings, victim.user.id, extra);
  const signed = (extra = {}) => signRs256(claims(extra), real.privateKey, { kid: real.kid });
  return {
    'not a JWT': 'Bearer not-a-jwt',
    'signed by a key that is not ours': `Bearer ${await signRs256(claims({ scope: 'admin' }), foreignKey, {
      kid: real.kid,
    })}`,
    'unsigned (alg none)': `Bearer ${unsignedToken(claims({ scope: 'admin' }))}`,
    expired: `Bearer ${await signed({ iat: nowEpoch() - 3600, nbf: nowEpoch() - 3600, exp: nowEpoch() - 60 })}`,
    'for another audience': `Bearer ${await signed({ aud: 'someone-else' })}`,
    'a genuine token with another sub and the admin scope pasted in': `Bearer ${withPayload(
      forger.accessToken,
      {
        ...payloadOf(forger.accessToken),
        sub: victim.user.id,
        scope: 'admin',
      },
    )}`,
    'the wrong scheme': `Basic ${Buffer.from('user:password').toString('base64')}`,
  };
}

/**
 * Sends a request and asserts that the gateway refused it (401 or 403) without ever running
 * the route's function (by its `id`).
 */
export async function expectRefusedByGateway(
  backend: ShopBackend,
  functionId: string,
  send: () => Promise<ApiResponse>,
  status: 401 | 403,
): Promise<void> {
  const invoke = vi.spyOn(functionOf(backend, functionId), 'invoke');
  try {
    expectGatewayRefusal(await send(), status);
    expect(invoke).not.toHaveBeenCalled();
  } finally {
    invoke.mockRestore();
  }
}
