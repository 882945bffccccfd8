import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as login } from '../../functions/accounts/create-session.ts';
import { handler as getAccount } from '../../functions/accounts/get-account.ts';
import { environmentScryptParameters, hashPassword } from '../../functions/accounts/passwords.ts';
import { createAccount, findIdentity } from '../../functions/accounts/profile-store.ts';
import { handler as register } from '../../functions/accounts/register-account.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { useFreshTable } from '../support/table.ts';

const PASSWORD = 'a perfectly long password';
let counter = 0;
const email = () => `handler${++counter}-${Date.now()}@example.com`;
const body = (res: { body?: string }) => JSON.parse(String(res.body)) as Record<string, unknown>;

describe('accounts handlers', () => {
  const written: string[] = [];
  let restore: () => void;

  beforeAll(async () => {
    await useFreshTable();
    // Everything the functions log goes through stdout: capture it to check for secrets.
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    restore = () => spy.mockRestore();
  });

  afterAll(() => restore());

  describe('POST /auth/register', () => {
    it('issues an RS256 access token with kid, iss, aud, sub, iat, nbf and a 15-minute exp', async () => {
      const res = await register(
        httpEvent('POST /auth/register', {
          body: { email: email(), password: PASSWORD, displayName: 'Ann' },
        }),
        lambdaContext(),
      );
      expect(res.statusCode).toBe(201);
      const session = body(res);
      const header = decodeProtectedHeader(String(session.accessToken));
      expect(header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
      const claims = decodeJwt(String(session.accessToken));
      expect(claims).toMatchObject({
        iss: 'https://api.test.local',
        aud: 'shop-api-test',
        sub: (session.user as { id: string }).id,
      });
      expect(claims.scope).toBeUndefined();
      expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
      expect(claims.nbf).toBe(claims.iat);
      expect(session.expiresIn).toBe(900);
    });

    it('never puts the password, its hash or the refresh token in a response or a log line', async () => {
      const res = await register(
        httpEvent('POST /auth/register', { body: { email: email(), password: PASSWORD, displayName: 'Bo' } }),
        lambdaContext(),
      );
      const session = body(res);
      const text = String(res.body);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toMatch(/salt|"hash"|scrypt/);
      // A failed login logs too: the attempt must not leak either.
      await login(
        httpEvent('POST /auth/login', { body: { email: email(), password: PASSWORD } }),
        lambdaContext(),
      );
      const logs = written.join('');
      expect(logs.length).toBeGreaterThan(0);
      expect(logs).not.toContain(PASSWORD);
      expect(logs).not.toContain(String(session.refreshToken));
    });
  });

  describe('POST /auth/login', () => {
    it('rehashes a password stored with weaker parameters and keeps it working', async () => {
      const address = email();
      const weak = await hashPassword(PASSWORD, { N: 2 ** 12, r: 8, p: 1, keyLength: 32 });
      await createAccount({ email: address, displayName: 'Old', role: 'customer', password: weak });
      const res = await login(
        httpEvent('POST /auth/login', { body: { email: address, password: PASSWORD } }),
        lambdaContext(),
      );
      expect(res.statusCode).toBe(200);
      const identity = await findIdentity(address);
      expect(identity?.password.N).toBe(environmentScryptParameters().N);
      const again = await login(
        httpEvent('POST /auth/login', { body: { email: address, password: PASSWORD } }),
        lambdaContext(),
      );
      expect(again.statusCode).toBe(200);
    });

    it('gives admins the admin scope', async () => {
      const address = email();
      await createAccount({
        email: address,
        displayName: 'Root',
        role: 'admin',
        password: await hashPassword(PASSWORD),
      });
      const res = await login(
        httpEvent('POST /auth/login', { body: { email: address, password: PASSWORD } }),
        lambdaContext(),
      );
      expect(decodeJwt(String(body(res).accessToken)).scope).toBe('admin');
    });
  });

  describe('GET /me', () => {
    it('refuses a request without authorizer claims, even if a route were wired without the authorizer', async () => {
      const res = await getAccount(httpEvent('GET /me'), lambdaContext());
      expect(res.statusCode).toBe(401);
      expect(res.headers?.['content-type']).toBe('application/problem+json');
    });

    it('answers the caller named by the claims', async () => {
      const created = await register(
        httpEvent('POST /auth/register', { body: { email: email(), password: PASSWORD, displayName: 'Cy' } }),
        lambdaContext(),
      );
      const user = body(created).user as { id: string };
      const res = await getAccount(httpEvent('GET /me', { claims: { sub: user.id } }), lambdaContext());
      expect(body(res)).toEqual(user);
    });
  });
});
