import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ApiResponse,
  bearer,
  expectGatewayRefusal,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import {
  functionOf,
  genuineClaims,
  hs256WithPublicKey,
  payloadOf,
  realSigningKey,
  signRs256,
  tokenSettings,
  unsignedToken,
  withPayload,
} from '../support/forged-tokens.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';

const nowEpoch = () => Math.floor(Date.now() / 1000);

describe('access-token attacks against the JWT authorizer of the local API', () => {
  const shop = useShop();
  let victim: Session;
  let attacker: Session;
  let settings: { issuer: string; audience: string };
  let realKey: { kid: string; privateKey: KeyObject; publicKey: KeyObject };
  let strangerKey: KeyObject;

  beforeAll(async () => {
    const client = shop.accounts;
    [victim, attacker] = await Promise.all([client.newCustomer('victim'), client.newCustomer('attacker')]);
    settings = tokenSettings(shop.backend);
    realKey = await realSigningKey(shop.backend);
    strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  });

  const getMe = (authorization?: string) =>
    call(`${shop.api}/me`, { headers: authorization === undefined ? {} : { authorization } });

  /** Sends the request and asserts the gateway refused it without ever running GET /me's function. */
  /** POST /products with a one-unit product named `name` (and `extra` body fields), sent with `headers`. */
  const createProduct = (
    name: string,
    headers: Record<string, string>,
    extra: Record<string, unknown> = {},
  ) =>
    call(
      `${shop.api}/products`,
      jsonInit('POST', { name, category: 'home', price: 1, currency: 'EUR', stock: 1, ...extra }, headers),
    );

  async function expectRefused(
    send: () => Promise<ApiResponse>,
    status: 401 | 403 = 401,
    functionId = 'AccountsGetAccount',
  ): Promise<void> {
    const invoke = vi.spyOn(functionOf(shop.backend, functionId), 'invoke');
    try {
      const res = await send();
      expectGatewayRefusal(res, status);
      if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(invoke).not.toHaveBeenCalled();
    } finally {
      invoke.mockRestore();
    }
  }

  describe('the published keys', () => {
    it('GET /.well-known/openid-configuration names this API as issuer and points at its JWKS', async () => {
      const res = await call(`${shop.api}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        issuer: settings.issuer,
        jwks_uri: `${settings.issuer}/.well-known/jwks.json`,
      });
    });

    it('GET /.well-known/jwks.json publishes only public RSA key material, including the signing kid', async () => {
      const res = await call(`${shop.api}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      const keys = res.body.keys as Record<string, unknown>[];
      expect(keys.length).toBeGreaterThanOrEqual(1);
      for (const key of keys) {
        expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret);
      }
      expect(keys.map((k) => k.kid)).toContain(realKey.kid);
      const [header] = victim.accessToken.split('.');
      expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()).kid).toBe(realKey.kid);
    });
  });

  describe('GET /me with a forged or broken token', () => {
    it('accepts a token signed with the real key and the right claims (so the refusals below are meaningful)', async () => {
      const token = await signRs256(genuineClaims(settings, victim.user.id), realKey.privateKey, {
        kid: realKey.kid,
      });
      const res = await getMe(`Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(victim.user.id);
    });

    it('refuses a request without an Authorization header with 401', async () => {
      await expectRefused(() => getMe());
    });

    it.each([
      ['Bearer with nothing after it', 'Bearer '],
      ['Bearer garbage', 'Bearer garbage'],
      ['three garbage segments', 'Bearer aaa.bbb.ccc'],
      ['Basic credentials', `Basic ${Buffer.from('victim:password').toString('base64')}`],
    ])('refuses %s with 401', async (_label, authorization) => {
      await expectRefused(() => getMe(authorization));
    });

    it('refuses a valid token passed in the query string instead of the Authorization header with 401', async () => {
      await expectRefused(() => call(`${shop.api}/me?access_token=${victim.accessToken}`));
    });

    it('refuses an unsigned token (alg: none) with 401', async () => {
      const token = unsignedToken(genuineClaims(settings, victim.user.id));
      expect(token.split('.')[2]).toBe('');
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses an unsigned token (alg: none) that names the real kid with 401', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: realKey.kid })).toString(
        'base64url',
      );
      const payload = Buffer.from(JSON.stringify(genuineClaims(settings, victim.user.id))).toString(
        'base64url',
      );
      await expectRefused(() => getMe(`Bearer ${header}.${payload}.`));
    });

    it('refuses an HS256 token signed with the RSA public key (PEM, as the JWKS publishes it) as the HMAC secret with 401', async () => {
      const pem = String(realKey.publicKey.export({ format: 'pem', type: 'spki' }));
      const token = await hs256WithPublicKey(genuineClaims(settings, victim.user.id), pem, realKey.kid);
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses an HS256 token signed with the published JWK itself as the HMAC secret with 401', async () => {
      const jwks = await call(`${shop.api}/.well-known/jwks.json`);
      const jwk = (jwks.body.keys as { kid: string }[]).find((k) => k.kid === realKey.kid);
      const token = await hs256WithPublicKey(
        genuineClaims(settings, victim.user.id),
        JSON.stringify(jwk),
        realKey.kid,
      );
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it("refuses a real token whose payload was changed to another user's id (signature kept) with 401", async () => {
      const tampered = withPayload(attacker.accessToken, {
        ...payloadOf(attacker.accessToken),
        sub: victim.user.id,
      });
      await expectRefused(() => getMe(`Bearer ${tampered}`));
    });

    it('refuses a real customer token whose payload was given the admin scope with 401 on an admin route', async () => {
      const tampered = withPayload(attacker.accessToken, {
        ...payloadOf(attacker.accessToken),
        scope: 'admin',
      });
      await expectRefused(() => createProduct('Forged', bearer(tampered)), 401, 'CatalogCreateProduct');
    });

    it('refuses an expired token signed with the real key with 401', async () => {
      const past = nowEpoch() - 3600;
      const claims = genuineClaims(settings, victim.user.id, { iat: past, nbf: past, exp: past + 900 });
      const token = await signRs256(claims, realKey.privateKey, { kid: realKey.kid });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a token signed with the real key but without exp with 401', async () => {
      const { exp: _exp, ...claims } = genuineClaims(settings, victim.user.id);
      const token = await signRs256(claims, realKey.privateKey, { kid: realKey.kid });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a token signed with the real key whose nbf is in the future with 401', async () => {
      const claims = genuineClaims(settings, victim.user.id, { nbf: nowEpoch() + 600 });
      const token = await signRs256(claims, realKey.privateKey, { kid: realKey.kid });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a token signed with the real key whose iat is in the future with 401', async () => {
      const claims = genuineClaims(settings, victim.user.id, { iat: nowEpoch() + 600 });
      const token = await signRs256(claims, realKey.privateKey, { kid: realKey.kid });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it.each([
      ['another issuer', { iss: 'https://evil.example.com' }],
      ['the issuer with a trailing slash', { iss: 'TRAILING' }],
      ['no issuer', { iss: undefined }],
    ])('refuses a token signed with the real key but with %s with 401', async (_label, change) => {
      const claims = genuineClaims(settings, victim.user.id, change);
      if (claims.iss === 'TRAILING') claims.iss = `${settings.issuer}/`;
      const token = await signRs256(claims, realKey.privateKey, { kid: realKey.kid });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it.each([
      ['another audience', { aud: 'some-other-api' }],
      ['an audience list without ours', { aud: ['some-other-api', 'yet-another'] }],
      ['no audience', { aud: undefined }],
    ])('refuses a token signed with the real key but with %s with 401', async (_label, change) => {
      const token = await signRs256(genuineClaims(settings, victim.user.id, change), realKey.privateKey, {
        kid: realKey.kid,
      });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a token signed by a fresh RSA key under a kid that is not in the JWKS with 401', async () => {
      const token = await signRs256(genuineClaims(settings, victim.user.id), strangerKey, {
        kid: 'not-a-published-kid',
      });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a token signed by a fresh RSA key that claims the real kid with 401', async () => {
      const token = await signRs256(genuineClaims(settings, victim.user.id), strangerKey, {
        kid: realKey.kid,
      });
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a token without a kid header with 401, even one signed with the real key (API Gateway requires a matching kid)', async () => {
      const token = await signRs256(genuineClaims(settings, victim.user.id), realKey.privateKey);
      await expectRefused(() => getMe(`Bearer ${token}`));
    });

    it('refuses a refresh token used as an access token with 401', async () => {
      await expectRefused(() => getMe(`Bearer ${victim.refreshToken}`));
    });
  });

  describe('scopes', () => {
    it('refuses a genuine customer token on an admin route with 403; the function never runs', async () => {
      await expectRefused(
        () => createProduct('Sneaky', bearer(attacker.accessToken)),
        403,
        'CatalogCreateProduct',
      );
    });

    it('ignores a scope the client sends in the body or a header: the token decides (403)', async () => {
      await expectRefused(
        () =>
          createProduct('Sneaky', bearer(attacker.accessToken, { 'x-scope': 'admin', 'x-role': 'admin' }), {
            scope: 'admin',
          }),
        403,
        'CatalogCreateProduct',
      );
    });
  });
});
